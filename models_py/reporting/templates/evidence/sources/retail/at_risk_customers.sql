-- High-value customers ranked by expected churn loss (probability x predicted
-- LTV). Evidence 39 cannot read an empty source, so with no high-value
-- customer this returns one row of nulls (pages filter it out).
with

at_risk as (
    select
        customer_id,
        segment_name,
        churn_probability,
        predicted_ltv,
        churn_probability * predicted_ltv as expected_loss,
        recency_days,
        frequency,
        monetary,
        is_contact_recommended,
        recommended_action
    from reporting.customer_scores
    where value_tier = 'high'
    order by expected_loss desc, customer_id
    limit 100
)

select at_risk.*
from (select 1 as one) as at_least_one_row
left join at_risk on true
order by at_risk.expected_loss desc, at_risk.customer_id
