{#- Cutoff dates of the out-of-time training protocol, as SQL date expressions.
    horizons_back = 1: the validation snapshot (as_of_date - H);
    horizons_back = 2: the fitting snapshot (as_of_date - 2H). -#}
{% macro training_cutoff(horizons_back) -%}
    {%- set horizon = var('churn_horizon_days') | int -%}
    {%- if var('ltv_horizon_days') | int > horizon -%}
        {{ exceptions.raise_compiler_error(
            'ltv_horizon_days (' ~ var('ltv_horizon_days') ~ ') must not exceed churn_horizon_days ('
            ~ horizon ~ '): the validation labels would read past as_of_date') }}
    {%- endif -%}
    cast({{ dbt.dateadd('day', -horizon * horizons_back, as_of_date()) }} as date)
{%- endmacro %}
