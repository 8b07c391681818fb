-- Drift per build: how many checks warned or failed, and the largest feature
-- and prediction PSI, to see drift building up before it fails a build.
with

drift_report as (
    select
        as_of_date,
        check_name,
        statistic,
        status,
        value
    from {{ ref('drift_report') }}
),

per_build as (
    select
        as_of_date,
        count(case when status = 'error' then 1 end) as error_checks,
        count(case when status = 'warn' then 1 end) as warn_checks,
        count(case when status = 'ok' then 1 end) as ok_checks,
        max(
            case
                when statistic = 'psi' and check_name like 'feature_psi:%'
                    then value
            end
        ) as max_feature_psi,
        max(
            case
                when statistic = 'psi' and check_name like 'prediction_psi:%'
                    then value
            end
        ) as max_prediction_psi
    from drift_report
    group by as_of_date
)

select * from per_build
order by as_of_date
