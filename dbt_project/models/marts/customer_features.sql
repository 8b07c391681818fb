{{ customer_features_at(as_of_date()) }}
