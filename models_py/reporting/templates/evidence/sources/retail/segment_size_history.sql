select
    as_of_date,
    segment_id,
    segment_name,
    customers,
    monetary,
    revenue_last_90d,
    mean_churn_probability,
    total_predicted_ltv
from reporting.segment_size_history
order by as_of_date, segment_id
