-- Customers in deciles of predicted LTV: how concentrated the future value is.
with

ranked as (
    select
        predicted_ltv,
        monetary,
        ntile(10) over (order by predicted_ltv desc, customer_id) as ltv_decile
    from reporting.customer_scores
)

select
    ltv_decile,
    count(*) as customers,
    sum(predicted_ltv) as total_predicted_ltv,
    sum(predicted_ltv) / sum(sum(predicted_ltv)) over () as share_of_predicted_ltv,
    avg(monetary) as mean_historical_spend
from ranked
group by ltv_decile
order by ltv_decile
