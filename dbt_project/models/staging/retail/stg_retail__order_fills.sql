{{ config(
    materialized=incremental_by_load(),
    incremental_strategy='append',
    pre_hook="{{ reset_after_replacing_load() }}",
) }}
{#- Computed once per load rather than as a window in stg_retail__transactions:
    the view is read seven times in a full build, and the window's group-by
    and join over 54M lines took 4-5 s of CPU per read at 100x; joined
    instead to this table (empty for most exports), the view's date parse
    also reads each distinct text once from the compressed column (4.6 s of
    CPU per read for ordered_at before, 0.2 s after). -#}
{%- set fields = order_level_fields() %}
{%- set new_loads_only = new_loads_filter('_load_id') %}

with

source_rows as (
    select
        _load_id as load_id,
        {{ order_key('order_id') }} as order_key,
        {%- for field in fields %}
        nullif(trim({{ field }}), '') as {{ field }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ source('retail', 'transactions') }}
    {{ new_loads_only }}
),

source_loads as (
    select distinct _load_id as load_id
    from {{ source('retail', 'transactions') }}
    {{ new_loads_only }}
),

orders as (
    select
        load_id,
        order_key,
        {%- for field in fields %}
        max({{ field }}) as {{ field }},
        count(*) - count({{ field }}) as {{ field }}_blank_lines{{ ',' if not loop.last }}
        {%- endfor %}
    from source_rows
    where order_key is not null
    group by load_id, order_key
),

{#- Orders where some line leaves a field blank that another line sets. #}
filled_orders as (
    select
        load_id,
        order_key,
        {{ fields | join(',\n        ') }}
    from orders
    where
        {%- for field in fields %}
        ({{ field }}_blank_lines > 0 and {{ field }} is not null){{ ' or' if not loop.last }}
        {%- endfor %}
),

{#- One row per load checked, even with nothing to fill: the incremental
    build starts after the highest load held. #}
checked_loads as (
    select
        load_id,
        cast(null as {{ dbt.type_string() }}) as order_key,
        {%- for field in fields %}
        cast(null as {{ dbt.type_string() }}) as {{ field }}{{ ',' if not loop.last }}
        {%- endfor %}
    from source_loads
)

select * from filled_orders
union all
select * from checked_loads
