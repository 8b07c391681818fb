with

customer_scores as (
    select
        segment_id,
        segment_name,
        recency_days,
        frequency,
        monetary,
        avg_order_value,
        tenure_days,
        return_rate,
        churn_probability,
        predicted_ltv,
        is_contact_recommended,
        as_of_date
    from {{ ref('customer_scores') }}
),

playbook as (
    select
        value_tier,
        risk_tier,
        recommended_action
    from {{ ref('retention_playbook') }}
),

overall as (
    select
        count(*) as customers,
        sum(monetary) as monetary,
        percentile_cont({{ var('high_value_quantile') }}) within group (
            order by predicted_ltv
        ) as high_value_ltv
    from customer_scores
),

segments as (
    select
        segment_id,
        segment_name,
        count(*) as customers,
        sum(monetary) as monetary,
        avg(recency_days) as mean_recency_days,
        avg(frequency) as mean_frequency,
        avg(monetary) as mean_monetary,
        avg(avg_order_value) as mean_order_value,
        avg(tenure_days) as mean_tenure_days,
        avg(return_rate) as mean_return_rate,
        avg(churn_probability) as mean_churn_probability,
        avg(case when is_contact_recommended then 1.0 else 0.0 end)
            as contact_recommended_share,
        avg(predicted_ltv) as mean_predicted_ltv,
        sum(predicted_ltv) as total_predicted_ltv,
        max(as_of_date) as as_of_date
    from customer_scores
    group by segment_id, segment_name
),

-- A segment's action follows its typical customer: value from its mean
-- predicted LTV, risk from its mean churn probability.
summary as (
    select
        segments.segment_name,
        case
            when segments.mean_predicted_ltv >= overall.high_value_ltv then 'high'
            else 'low'
        end as value_tier,
        case
            when segments.mean_churn_probability >= {{ var('high_risk_probability') }}
                then 'high'
            else 'low'
        end as risk_tier,
        segments.segment_id,
        segments.customers,
        cast(segments.customers as double) / overall.customers
            as customer_share,
        segments.monetary,
        cast(segments.monetary as double) / nullif(overall.monetary, 0)
            as revenue_share,
        segments.mean_recency_days,
        segments.mean_frequency,
        segments.mean_monetary,
        segments.mean_order_value,
        segments.mean_tenure_days,
        segments.mean_return_rate,
        segments.mean_churn_probability,
        segments.contact_recommended_share,
        segments.mean_predicted_ltv,
        segments.total_predicted_ltv,
        segments.as_of_date
    from segments
    cross join overall
),

with_action as (
    select
        summary.segment_id,
        summary.segment_name,
        summary.value_tier,
        summary.risk_tier,
        playbook.recommended_action,
        summary.customers,
        summary.customer_share,
        summary.monetary,
        summary.revenue_share,
        summary.mean_recency_days,
        summary.mean_frequency,
        summary.mean_monetary,
        summary.mean_order_value,
        summary.mean_tenure_days,
        summary.mean_return_rate,
        summary.mean_churn_probability,
        summary.contact_recommended_share,
        summary.mean_predicted_ltv,
        summary.total_predicted_ltv,
        summary.as_of_date
    from summary
    left join playbook
        on summary.value_tier = playbook.value_tier
        and summary.risk_tier = playbook.risk_tier
)

select * from with_action
