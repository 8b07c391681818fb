{#- Performance drift: fails when a scoring date graded by this build had a
    realised churn ROC-AUC more than var performance_drop_tolerance (10%)
    below the validation ROC-AUC of the model that scored it. -#}
select
    scored_as_of_date,
    churn_model_version,
    realised_roc_auc,
    validation_roc_auc,
    relative_change
from {{ ref('model_performance') }}
where
    status = 'error'
    and evaluated_as_of_date = {{ as_of_date() }}
