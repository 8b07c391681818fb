{#- RFM scores as marketers use them: each of recency, frequency and monetary
    value scored 1 (worst fifth of customers) to 5 (best fifth), and the
    named segment of the (R, F) pair from seeds/rfm_segments.csv.
    Score = 1 + floor(5 x customers strictly worse / all customers): tied
    customers share the lower score, so the one-order customers (often a
    third or more) all get F = 1 instead of being split at random. -#}
with

customer_features as (
    select
        customer_id,
        recency_days,
        frequency,
        monetary,
        as_of_date
    from {{ ref('customer_features') }}
),

rfm_segments as (
    select
        rfm_segment,
        r_min,
        r_max,
        f_min,
        f_max,
        implies_activity
    from {{ ref('rfm_segments') }}
),

ranked as (
    select
        customer_id,
        recency_days,
        frequency,
        monetary,
        as_of_date,
        -- rank() - 1: customers strictly worse (less recent, fewer orders, less spend).
        rank() over (order by recency_days desc) - 1 as less_recent,
        rank() over (order by frequency) - 1 as less_frequent,
        rank() over (order by monetary) - 1 as lower_spend,
        count(*) over () as customers
    from customer_features
),

scored as (
    select
        customer_id,
        recency_days,
        frequency,
        monetary,
        as_of_date,
        cast(1 + floor(5.0 * less_recent / customers) as integer) as r_score,
        cast(1 + floor(5.0 * less_frequent / customers) as integer) as f_score,
        cast(1 + floor(5.0 * lower_spend / customers) as integer) as m_score
    from ranked
),

segmented as (
    select
        scored.customer_id,
        scored.r_score,
        scored.f_score,
        scored.m_score,
        {{ dbt.concat([
            dbt.safe_cast('scored.r_score', dbt.type_string()),
            dbt.safe_cast('scored.f_score', dbt.type_string()),
            dbt.safe_cast('scored.m_score', dbt.type_string()),
        ]) }} as rfm_score,
        rfm_segments.rfm_segment,
        rfm_segments.implies_activity as rfm_segment_implies_activity,
        scored.recency_days,
        scored.frequency,
        scored.monetary,
        scored.as_of_date
    from scored
    left join rfm_segments
        on scored.r_score between rfm_segments.r_min and rfm_segments.r_max
        and scored.f_score between rfm_segments.f_min and rfm_segments.f_max
)

select * from segmented
