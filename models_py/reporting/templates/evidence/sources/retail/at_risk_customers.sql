-- High-value customers ranked by expected churn loss (probability x value at
-- risk x margin, reporting.customer_scores). Evidence 39 cannot read an empty source, so with no high-value
-- customer this returns one row of nulls (pages filter it out).
with

at_risk as (
    select
        customer_id,
        segment_name,
        churn_probability,
        predicted_ltv,
        expected_churn_loss as expected_loss,
        expected_value_of_contact,
        recency_days,
        frequency,
        monetary,
        rfm_segment,
        is_lapsed,
        is_contact_recommended,
        recommended_action,
        churn_reason_1,
        churn_reason_2,
        churn_reason_3,
        probability_alive,
        next_order_expected_on
    from reporting.customer_scores
    where value_tier = 'high'
    order by expected_loss desc, customer_id
    limit 100
)

select at_risk.*
from (select 1 as one) as at_least_one_row
left join at_risk on true
order by at_risk.expected_loss desc, at_risk.customer_id
