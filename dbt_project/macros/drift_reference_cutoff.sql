{#- Cutoff of the drift reference: the snapshot the current churn model was
    refitted on. When this build retrains (ml.retraining_plan), that is the
    validation snapshot (as_of_date - H) the new model is refitted on;
    otherwise the registered champion's, which ages until the next retraining. -#}
{% macro drift_reference_cutoff() -%}
    coalesce(
        (
            select case when not retrain then champion_reference_cutoff end
            from {{ ref('retraining_plan') }}
            where family = 'churn'
        ),
        {{ training_cutoff(1) }}
    )
{%- endmacro %}

{#- Whether ml.drift_reference_features holds the features at that cutoff. -#}
{% macro drift_reference_held() -%}
    exists (select 1 from {{ this }} where as_of_date = ({{ drift_reference_cutoff() }}))
{%- endmacro %}
