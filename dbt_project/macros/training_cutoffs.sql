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

{#- Fails the build, saying what to do, when fewer than min_customers (the
    models' training_sets.MIN_ROWS) customers ordered before the fit cutoff
    (as_of_date - 2 x churn_horizon_days): churn and LTV would stop on a thin
    fit snapshot with a Python traceback that does not say why (a 12-day
    export did). The suggested horizon leaves min_customers customers before
    the fit cutoff and is at most a third of the history. -#}
{% macro require_training_history(min_customers=50) -%}
    {#- Only when this invocation trains (a build of the SQL layer alone may have any history), and
        not in a dbt unit test, whose inputs are CTEs of its query rather than tables to count. -#}
    {%- set trainers = ['model.' ~ project_name ~ '.churn_scores', 'model.' ~ project_name ~ '.ltv_scores'] -%}
    {%- if not execute or model.resource_type == 'unit_test'
        or (selected_resources | select('in', trainers) | list | length) == 0 -%}
        {{- return('') -}}
    {%- endif -%}
    {%- set horizon = var('churn_horizon_days') | int -%}
    {%- set query -%}
        with

        first_orders as (
            select
                customer_id,
                min(ordered_at) as first_ordered_at
            from {{ ref('int_order_parts') }}
            where ordered_at < cast({{ as_of_date() }} as {{ dbt.type_timestamp() }})
            group by customer_id
        ),

        ranked as (
            select
                first_ordered_at,
                row_number() over (order by first_ordered_at) as arrival
            from first_orders
        )

        select
            {{ as_of_date() }} as as_of_date,
            {{ training_cutoff(2) }} as fit_cutoff,
            sum(case
                when first_ordered_at < cast({{ training_cutoff(2) }} as {{ dbt.type_timestamp() }}) then 1
                else 0
            end) as fit_customers,
            count(*) as customers,
            {{ dbt.datediff('min(first_ordered_at)', as_of_date(), 'day') }} as history_days,
            {{ dbt.datediff(
                'max(case when arrival = ' ~ min_customers ~ ' then first_ordered_at end)', as_of_date(), 'day')
            }} as days_since_enough_customers
        from ranked
    {%- endset -%}
    {%- set row = run_query(query).rows[0] -%}
    {%- set fit_customers = (row[2] or 0) | int -%}
    {%- if fit_customers >= min_customers -%}
        {{- return('') -}}
    {%- endif -%}
    {%- set history = (row[4] or 0) | int -%}
    {%- set shorter = [((row[5] or 1) | int - 1) // 2, history // 3] | min -%}
    {{ exceptions.raise_compiler_error(
        'churn and LTV cannot be trained: they learn from the customers who had ordered by ' ~ row[1]
        ~ ', two churn_horizon_days (' ~ horizon ~ ' days each) before as_of_date ' ~ row[0] ~ ', and '
        ~ fit_customers ~ ' of the ' ~ row[3] ~ ' customers had (at least ' ~ min_customers ~ ' are needed; the '
        ~ 'orders loaded reach back ' ~ history ~ ' days). Load an export with more than ' ~ 2 * horizon
        ~ ' days of orders (a year or more shows seasons)'
        ~ (', or shorten the horizons for this history, e.g. retail build --vars '
           ~ "'{churn_horizon_days: " ~ shorter ~ ', ltv_horizon_days: ' ~ shorter
           ~ ", training_snapshots_per_role: 1}'" if shorter >= 14 else '') ~ '.') }}
{%- endmacro %}
