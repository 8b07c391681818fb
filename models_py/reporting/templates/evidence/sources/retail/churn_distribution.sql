-- Customers per 5-point churn probability band and segment (pre-aggregated:
-- the page stays small whatever the number of customers).
select
    segment_name,
    least(floor(churn_probability * 20), 19) / 20 as churn_probability_band,
    count(*) as customers
from reporting.customer_scores
group by 1, 2
order by 2, 1
