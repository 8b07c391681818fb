{{ config(materialized='view') }}
{#- The build's cutoff as one row, for the Python models that need the date and
    nothing else: retraining_plan read it from customer_features and so waited
    for all features, and the training snapshots (which do not read them) for it. -#}
select {{ as_of_date() }} as as_of_date
