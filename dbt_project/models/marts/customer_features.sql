{{ customer_features_at('select ' ~ as_of_date() ~ ' as cutoff_date') }}
