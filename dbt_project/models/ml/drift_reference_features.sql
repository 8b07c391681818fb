{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    pre_hook="{{ clear_when_rebuilt(['churn'], drift_reference_held()) }}",
) }}
{#- The feature distribution drift is measured against: customer features at
    the cutoff of the snapshot the current churn model was refitted on. Kept
    between retrainings (macro rebuild_needed): rows arriving late for that
    cutoff were not in what the champion was trained on, and do not move its
    reference either. -#}
-- depends_on: {{ ref('retraining_plan') }}
{%- if not rebuild_needed(['churn'], drift_reference_held()) %}
select * from {{ this }} where 1 = 0
{%- else %}
{{ customer_features_at('select ' ~ drift_reference_cutoff() ~ ' as cutoff_date') }}
{%- endif %}
