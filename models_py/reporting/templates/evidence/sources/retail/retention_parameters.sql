select
    as_of_date,
    high_value_quantile,
    high_value_ltv,
    high_risk_probability,
    retention_incentive_cost,
    gross_margin,
    ltv_horizon_days
from reporting.retention_parameters
