-- Who to call first: high-value customers ranked by expected churn loss
-- (churn probability x predicted LTV), with the playbook action.
with

customer_scores as (
    select
        customer_id,
        segment_name,
        country,
        churn_probability,
        predicted_ltv,
        recency_days,
        frequency,
        monetary,
        is_contact_recommended,
        recommended_action,
        as_of_date
    from {{ ref('customer_scores') }}
    where value_tier = 'high'
),

ranked as (
    select
        customer_id,
        segment_name,
        country,
        recommended_action,
        churn_probability,
        predicted_ltv,
        churn_probability * predicted_ltv as expected_loss,
        recency_days,
        frequency,
        monetary,
        is_contact_recommended,
        as_of_date
    from customer_scores
)

select * from ranked
order by expected_loss desc, customer_id
limit 100
