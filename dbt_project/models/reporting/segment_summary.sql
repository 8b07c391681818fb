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
        expected_churn_loss,
        expected_saved_margin,
        is_contact_recommended,
        is_lapsed,
        as_of_date
    from {{ ref('customer_scores') }}
),

playbook as (
    select
        lifecycle_stage,
        value_tier,
        risk_tier,
        recommended_action
    from {{ ref('retention_playbook') }}
),

parameters as (
    select
        high_value_ltv,
        high_risk_probability,
        retention_incentive_cost,
        new_customer_days
    from {{ ref('retention_parameters') }}
),

overall as (
    select
        count(*) as customers,
        sum(monetary) as monetary
    from customer_scores
),

-- The contact economics of customer_scores, per customer: a contacted customer
-- costs the incentive and is expected to save churn probability x save_rate x
-- value at risk x gross margin.
customer_economics as (
    select
        customer_scores.*,
        case
            when customer_scores.is_contact_recommended
                then parameters.retention_incentive_cost
            else 0
        end as contact_cost,
        case
            when customer_scores.is_contact_recommended
                then customer_scores.expected_saved_margin
            else 0
        end as contacted_saved_margin
    from customer_scores
    cross join parameters
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
        avg(case when is_lapsed then 1.0 else 0.0 end) as lapsed_share,
        avg(predicted_ltv) as mean_predicted_ltv,
        sum(predicted_ltv) as total_predicted_ltv,
        count(case when is_contact_recommended then 1 end)
            as contact_recommended_customers,
        sum(expected_churn_loss) as expected_churn_loss,
        sum(contact_cost) as contact_cost,
        sum(contacted_saved_margin) as expected_saved_margin,
        max(as_of_date) as as_of_date
    from customer_economics
    group by segment_id, segment_name
),

-- A segment's action follows its typical customer: lifecycle from its mean
-- tenure and lapsed share, value from its mean predicted LTV, risk from its
-- mean churn probability.
summary as (
    select
        segments.segment_name,
        case
            when segments.mean_tenure_days < parameters.new_customer_days then 'new'
            when segments.lapsed_share >= 0.5 then 'lapsed'
            else 'active'
        end as lifecycle_stage,
        case
            when segments.mean_predicted_ltv >= parameters.high_value_ltv
                then 'high'
            else 'low'
        end as value_tier,
        case
            when
                segments.mean_churn_probability
                >= parameters.high_risk_probability
                then 'high'
            else 'low'
        end as risk_tier,
        segments.segment_id,
        segments.customers,
        cast(segments.customers as {{ type_double() }}) / overall.customers
            as customer_share,
        segments.monetary,
        cast(segments.monetary as {{ type_double() }})
        / nullif(overall.monetary, 0) as revenue_share,
        segments.mean_recency_days,
        segments.mean_frequency,
        segments.mean_monetary,
        segments.mean_order_value,
        segments.mean_tenure_days,
        segments.mean_return_rate,
        segments.mean_churn_probability,
        segments.contact_recommended_share,
        segments.lapsed_share,
        segments.mean_predicted_ltv,
        segments.total_predicted_ltv,
        segments.contact_recommended_customers,
        segments.expected_churn_loss,
        segments.contact_cost,
        segments.expected_saved_margin,
        segments.expected_saved_margin - segments.contact_cost
            as expected_net_benefit,
        (segments.expected_saved_margin - segments.contact_cost)
            / nullif(segments.contact_cost, 0) as expected_roi,
        segments.as_of_date
    from segments
    cross join overall
    cross join parameters
),

with_action as (
    select
        summary.segment_id,
        summary.segment_name,
        summary.lifecycle_stage,
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
        summary.lapsed_share,
        summary.mean_predicted_ltv,
        summary.total_predicted_ltv,
        summary.contact_recommended_customers,
        summary.expected_churn_loss,
        summary.contact_cost,
        summary.expected_saved_margin,
        summary.expected_net_benefit,
        summary.expected_roi,
        summary.as_of_date
    from summary
    left join playbook
        on summary.lifecycle_stage = playbook.lifecycle_stage
        and summary.value_tier = playbook.value_tier
        and summary.risk_tier = playbook.risk_tier
)

select * from with_action
