{#- The feature distribution drift is measured against: customer features at
    the cutoff of the snapshot the current churn model was refitted on. -#}
{{ customer_features_at('select ' ~ drift_reference_cutoff() ~ ' as cutoff_date') }}
