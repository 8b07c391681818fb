{%- set churn_horizon = var('churn_horizon_days') | int -%}
{%- set ltv_horizon = var('ltv_horizon_days') | int -%}
with

{% for stack_index in range(training_snapshots_per_role()) %}
{%- for role, horizons_back in [('fit', 2), ('validation', 1)] %}
{{ role }}_features_{{ stack_index }} as (
    select
        '{{ role }}' as snapshot_role,
        {{ stack_index }} as stack_index,
        snapshot.*
    from (
        {{ customer_features_at(training_cutoff(horizons_back, stack_index)) | indent(8) }}
    ) as snapshot
),

{% endfor -%}
{% endfor -%}
snapshot_features as (
    {%- for stack_index in range(training_snapshots_per_role()) %}
    {%- for role in ['fit', 'validation'] %}
    {{ 'union all' if not loop.first or stack_index > 0 }}
    select * from {{ role }}_features_{{ stack_index }}
    {%- endfor %}
    {%- endfor %}
),

-- Labels never read at or after as_of_date: the latest window ends there.
purchase_lines as (
    select
        customer_id,
        order_id,
        line_amount,
        ordered_at
    from {{ ref('int_purchase_lines_kept') }}
    where ordered_at < cast({{ as_of_date() }} as {{ dbt.type_timestamp() }})
),

future_activity as (
    select
        snapshot_features.customer_id,
        snapshot_features.as_of_date,
        count(distinct case
            when purchase_lines.ordered_at < {{ dbt.dateadd(
                'day', churn_horizon, 'cast(snapshot_features.as_of_date as ' ~ dbt.type_timestamp() ~ ')') }}
                then purchase_lines.order_id
        end) as future_orders,
        sum(case
            when purchase_lines.ordered_at < {{ dbt.dateadd(
                'day', ltv_horizon, 'cast(snapshot_features.as_of_date as ' ~ dbt.type_timestamp() ~ ')') }}
                then purchase_lines.line_amount
            else 0
        end) as future_spend
    from snapshot_features
    left join purchase_lines
        on snapshot_features.customer_id = purchase_lines.customer_id
        and purchase_lines.ordered_at
            >= cast(snapshot_features.as_of_date as {{ dbt.type_timestamp() }})
    group by snapshot_features.customer_id, snapshot_features.as_of_date
),

past_window_spend as (
    select
        snapshot_features.customer_id,
        snapshot_features.as_of_date,
        sum(purchase_lines.line_amount) as spend_last_ltv_horizon
    from snapshot_features
    inner join purchase_lines
        on snapshot_features.customer_id = purchase_lines.customer_id
        and purchase_lines.ordered_at
            < cast(snapshot_features.as_of_date as {{ dbt.type_timestamp() }})
        and purchase_lines.ordered_at >= {{ dbt.dateadd(
            'day', -ltv_horizon, 'cast(snapshot_features.as_of_date as ' ~ dbt.type_timestamp() ~ ')') }}
    group by snapshot_features.customer_id, snapshot_features.as_of_date
),

labelled as (
    select
        snapshot_features.customer_id,
        snapshot_features.snapshot_role,
        cast(snapshot_features.stack_index as integer) as stack_index,
        snapshot_features.country,
        snapshot_features.frequency,
        snapshot_features.monetary,
        snapshot_features.avg_order_value,
        snapshot_features.avg_items_per_order,
        snapshot_features.unique_products,
        snapshot_features.avg_unit_price,
        snapshot_features.recency_days,
        snapshot_features.tenure_days,
        snapshot_features.purchase_span_days,
        snapshot_features.avg_interpurchase_days,
        snapshot_features.orders_last_30d,
        snapshot_features.orders_last_90d,
        snapshot_features.monetary_last_90d,
        snapshot_features.monetary_prior_90d,
        snapshot_features.spend_trend,
        snapshot_features.cancelled_orders,
        snapshot_features.returned_amount,
        snapshot_features.return_rate,
        cast(coalesce(past_window_spend.spend_last_ltv_horizon, 0) as decimal(18, 2))
            as spend_last_ltv_horizon,
        future_activity.future_orders,
        cast(future_activity.future_spend as decimal(18, 2)) as future_spend,
        future_activity.future_orders = 0 as is_churned,
        snapshot_features.as_of_date,
        snapshot_features.first_ordered_at,
        snapshot_features.last_ordered_at
    from snapshot_features
    inner join future_activity
        on snapshot_features.customer_id = future_activity.customer_id
        and snapshot_features.as_of_date = future_activity.as_of_date
    left join past_window_spend
        on snapshot_features.customer_id = past_window_spend.customer_id
        and snapshot_features.as_of_date = past_window_spend.as_of_date
)

select * from labelled
