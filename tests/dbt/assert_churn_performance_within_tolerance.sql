{#- Performance drift: fails when a scoring date graded by this build had a
    realised churn ROC-AUC more than var performance_drop_tolerance (10%)
    below the validation ROC-AUC of the model that scored it (see
    reporting.model_performance). Reads reporting.drift_report, a leaf, so
    that a failure skips no model. -#}
select
    check_name,
    value as realised_roc_auc,
    error_threshold as min_roc_auc,
    as_of_date
from {{ ref('drift_report') }}
where
    statistic = 'roc_auc'
    and status = 'error'
    and as_of_date = {{ as_of_date() }}
