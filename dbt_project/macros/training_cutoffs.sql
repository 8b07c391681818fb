{#- Cutoff dates of the out-of-time training protocol, as SQL date expressions.
    horizons_back = 1: the validation snapshot (as_of_date - H);
    horizons_back = 2: the fitting snapshot (as_of_date - 2H).
    stack_index = k > 0: k x training_snapshot_spacing_days earlier, an extra
    snapshot stacked into the same role's training rows. -#}
{% macro training_cutoff(horizons_back, stack_index=0) -%}
    cast({{ dbt.dateadd('day', -training_days_back(horizons_back, stack_index), as_of_date()) }} as date)
{%- endmacro %}

{#- The days from a training cutoff back to as_of_date (see training_cutoff). -#}
{% macro training_days_back(horizons_back, stack_index=0) -%}
    {%- set horizon = var('churn_horizon_days') | int -%}
    {%- if var('ltv_horizon_days') | int > horizon -%}
        {{ exceptions.raise_compiler_error(
            'ltv_horizon_days (' ~ var('ltv_horizon_days') ~ ') must not exceed churn_horizon_days ('
            ~ horizon ~ '): the validation labels would read past as_of_date') }}
    {%- endif -%}
    {{ return(horizon * horizons_back + stack_index * training_snapshot_spacing_days()) }}
{%- endmacro %}

{#- Snapshots stacked per role (var training_snapshots_per_role). The earliest
    validation-role cutoff must stay after the fit cutoff, or the roles would
    share a date (and the fit rows would see validation labels). -#}
{% macro training_snapshots_per_role() -%}
    {%- set count = var('training_snapshots_per_role') | int -%}
    {%- if count < 1 -%}
        {{ exceptions.raise_compiler_error('training_snapshots_per_role must be at least 1, got ' ~ count) }}
    {%- endif -%}
    {%- if (count - 1) * training_snapshot_spacing_days() >= var('churn_horizon_days') | int -%}
        {{ exceptions.raise_compiler_error(
            '(training_snapshots_per_role - 1) x training_snapshot_spacing_days must be below churn_horizon_days ('
            ~ var('churn_horizon_days') ~ '): the fit and validation snapshots would overlap') }}
    {%- endif -%}
    {{ return(count) }}
{%- endmacro %}

{% macro training_snapshot_spacing_days() -%}
    {%- set spacing = var('training_snapshot_spacing_days') | int -%}
    {%- if spacing < 1 -%}
        {{ exceptions.raise_compiler_error('training_snapshot_spacing_days must be at least 1, got ' ~ spacing) }}
    {%- endif -%}
    {{ return(spacing) }}
{%- endmacro %}
