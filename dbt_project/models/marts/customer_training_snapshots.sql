{{ config(
    materialized=('table' if target.type == 'spark' else 'incremental'),
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    pre_hook="{{ clear_when_rebuilt(['churn', 'ltv']) }}",
) }}
{#- Rebuilt only when churn or LTV retrains (macro rebuild_needed);
    Spark builds no retraining plan (its models are SQL only): a table there. -#}
-- depends_on: {{ ref('retraining_plan') }}
{%- set churn_horizon = var('churn_horizon_days') | int -%}
{%- set ltv_horizon = var('ltv_horizon_days') | int -%}
{%- set sample_size = var('training_customers_per_snapshot') | int -%}
{%- set sampled_customers = 'select customer_id from training_sample' if sample_size > 0 else none -%}
{%- if not rebuild_needed(['churn', 'ltv']) %}
select * from {{ this }} where 1 = 0
{%- else %}
{{- require_training_history() }}
with

-- as_of_date once, then every cutoff from it: on Spark each scalar subquery
-- is a job of its own, and a dozen cutoffs each carrying one took minutes.
build_date as (
    select {{ as_of_date() }} as as_of_date
),

snapshot_offsets as (
    {%- for stack_index in range(training_snapshots_per_role()) %}
    {%- for role, horizons_back in [('fit', 2), ('validation', 1)] %}
    {{ 'union all' if not loop.first or stack_index > 0 }}
    select
        '{{ role }}' as snapshot_role,
        {{ stack_index }} as stack_index,
        {{ training_days_back(horizons_back, stack_index) }} as days_back
    {%- endfor %}
    {%- endfor %}
),

snapshot_cutoffs as (
    select
        snapshot_offsets.snapshot_role,
        snapshot_offsets.stack_index,
        cast({{ dbt.dateadd('day', '-snapshot_offsets.days_back', 'build_date.as_of_date') }} as date)
            as cutoff_date
    from snapshot_offsets
    cross join build_date
),

-- The training sample (var training_customers_per_snapshot, 0: everyone): at each
-- cutoff, the customers with an order before it ranked by one hash order of the ids,
-- so a customer sampled at a cutoff is sampled at every earlier one they appear in
-- and the sample does not depend on row order. Ranked from the order
-- parts alone, before any feature: only the sampled customers' features and labels
-- are computed (at 100x the real data 145k of 433k customers: this model took
-- 17-22 s instead of 27-30 s in full builds).
customer_starts as (
    select
        customer_id,
        min(ordered_at) as first_ordered_at
    from {{ ref('int_order_parts') }}
    group by customer_id
),

customer_sample_order as (
    select
        customer_id,
        first_ordered_at,
        row_number() over (order by {{ dbt.hash('customer_id') }}, customer_id) as sample_order
    from customer_starts
),

sample_ranks as (
    select
        customer_sample_order.customer_id,
        snapshot_cutoffs.cutoff_date as as_of_date,
        cast(row_number() over (
            partition by snapshot_cutoffs.cutoff_date
            order by customer_sample_order.sample_order
        ) as {{ dbt.type_bigint() }}) as training_sample_rank
    from customer_sample_order
    inner join snapshot_cutoffs
        on customer_sample_order.first_ordered_at
            < cast(snapshot_cutoffs.cutoff_date as {{ dbt.type_timestamp() }})
),

training_sample as (
    select
        customer_id,
        as_of_date,
        training_sample_rank
    from sample_ranks
    {%- if sample_size > 0 %}
    where training_sample_rank <= {{ sample_size }}
    {%- endif %}
),

-- All cutoffs in one pass over the lines (macro customer_features_at).
snapshot_features as (
    select
        snapshot_cutoffs.snapshot_role,
        snapshot_cutoffs.stack_index,
        snapshot.*
    from (
        {{ customer_features_at("select cutoff_date from snapshot_cutoffs", sampled_customers) | indent(8) }}
    ) as snapshot
    inner join snapshot_cutoffs
        on snapshot.as_of_date = snapshot_cutoffs.cutoff_date
),

-- Labels never read at or after as_of_date: the latest window ends there.
-- From order parts (one row per order, mostly), not lines: each joins every
-- cutoff before it.
purchases as (
    select
        parts.customer_id,
        parts.order_id,
        parts.part_amount,
        parts.ordered_at
    from {{ ref('int_order_parts') }} as parts
    cross join build_date
    where parts.ordered_at < cast(build_date.as_of_date as {{ dbt.type_timestamp() }})
    {%- if sampled_customers %}
        and parts.customer_id in ({{ sampled_customers }})
    {%- endif %}
),

-- Labels per customer and cutoff straight from the order parts (the cutoffs
-- are a dozen rows), so snapshot_features is read once: Spark plans a CTE again at
-- every reference.
future_activity as (
    select
        purchases.customer_id,
        snapshot_cutoffs.cutoff_date as as_of_date,
        count(distinct case
            when purchases.ordered_at < {{ dbt.dateadd(
                'day', churn_horizon, 'cast(snapshot_cutoffs.cutoff_date as ' ~ dbt.type_timestamp() ~ ')') }}
                then purchases.order_id
        end) as future_orders,
        sum(case
            when purchases.ordered_at < {{ dbt.dateadd(
                'day', ltv_horizon, 'cast(snapshot_cutoffs.cutoff_date as ' ~ dbt.type_timestamp() ~ ')') }}
                then purchases.part_amount
            else 0
        end) as future_spend
    from snapshot_cutoffs
    inner join purchases
        on purchases.ordered_at
            >= cast(snapshot_cutoffs.cutoff_date as {{ dbt.type_timestamp() }})
        -- the longer of the two label windows (ltv_horizon_days <= churn_horizon_days)
        and purchases.ordered_at < {{ dbt.dateadd(
            'day', churn_horizon, 'cast(snapshot_cutoffs.cutoff_date as ' ~ dbt.type_timestamp() ~ ')') }}
    group by purchases.customer_id, snapshot_cutoffs.cutoff_date
),

past_window_spend as (
    select
        purchases.customer_id,
        snapshot_cutoffs.cutoff_date as as_of_date,
        sum(purchases.part_amount) as spend_last_ltv_horizon
    from snapshot_cutoffs
    inner join purchases
        on purchases.ordered_at
            < cast(snapshot_cutoffs.cutoff_date as {{ dbt.type_timestamp() }})
        and purchases.ordered_at >= {{ dbt.dateadd(
            'day', -ltv_horizon, 'cast(snapshot_cutoffs.cutoff_date as ' ~ dbt.type_timestamp() ~ ')') }}
    group by purchases.customer_id, snapshot_cutoffs.cutoff_date
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
        coalesce(future_activity.future_orders, 0) as future_orders,
        cast(coalesce(future_activity.future_spend, 0) as decimal(18, 2)) as future_spend,
        coalesce(future_activity.future_orders, 0) = 0 as is_churned,
        snapshot_features.as_of_date,
        snapshot_features.first_ordered_at,
        snapshot_features.last_ordered_at,
        training_sample.training_sample_rank
    from snapshot_features
    inner join training_sample
        on snapshot_features.customer_id = training_sample.customer_id
        and snapshot_features.as_of_date = training_sample.as_of_date
    left join future_activity
        on snapshot_features.customer_id = future_activity.customer_id
        and snapshot_features.as_of_date = future_activity.as_of_date
    left join past_window_spend
        on snapshot_features.customer_id = past_window_spend.customer_id
        and snapshot_features.as_of_date = past_window_spend.as_of_date
)

select * from labelled
{%- endif %}
