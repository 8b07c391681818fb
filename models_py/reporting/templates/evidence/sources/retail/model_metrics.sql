select
    model_family,
    model_name,
    metric,
    value,
    as_of_date,
    model_run_id
from ml.model_metrics
where split = 'validation' and metric not like 'calibration%'
order by model_family, model_name, metric
