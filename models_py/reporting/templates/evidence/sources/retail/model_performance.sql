-- Realised churn ROC-AUC per matured scoring date. Evidence 39 cannot read an
-- empty source, so before the first date matures this returns one row of
-- nulls (pages filter it out).
with

performance as (
    select
        scored_as_of_date,
        churn_model_version,
        customers,
        churn_rate,
        realised_roc_auc,
        validation_roc_auc,
        status
    from reporting.model_performance
)

select performance.*
from (select 1 as one) as at_least_one_row
left join performance on true
order by performance.scored_as_of_date
