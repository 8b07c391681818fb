{{ config(
    materialized='incremental',
    unique_key='scored_as_of_date',
    incremental_strategy='delete+insert',
    full_refresh=false,
) }}
{#- Performance drift: once the churn labels of an earlier scoring date d
    have matured (d + churn_horizon_days <= as_of_date), its scores are
    graded against what happened: realised ROC-AUC next to the validation
    ROC-AUC of the model version that scored. Each scoring date is graded
    once, by the first build that can. -#}
{%- set horizon = var('churn_horizon_days') | int -%}
{%- set tolerance = var('performance_drop_tolerance') -%}

with

matured_scores as (
    select
        customer_id,
        churn_probability,
        churn_model_version,
        churn_validation_roc_auc,
        as_of_date as scored_as_of_date
    from {{ ref('score_history') }}
    where
        {{ dbt.dateadd('day', horizon, 'as_of_date') }} <= {{ as_of_date() }}
        {%- if is_incremental() %}
        and as_of_date not in (select scored_as_of_date from {{ this }})
        {%- endif %}
),

orders as (
    select
        customer_id,
        ordered_at
    from {{ ref('fct_orders') }}
),

labelled as (
    select
        matured_scores.customer_id,
        matured_scores.scored_as_of_date,
        matured_scores.churn_probability,
        matured_scores.churn_model_version,
        matured_scores.churn_validation_roc_auc,
        not exists (
            select 1
            from orders
            where
                orders.customer_id = matured_scores.customer_id
                and orders.ordered_at >= cast(matured_scores.scored_as_of_date as {{ dbt.type_timestamp() }})
                and orders.ordered_at < {{ dbt.dateadd(
                    'day', horizon,
                    'cast(matured_scores.scored_as_of_date as ' ~ dbt.type_timestamp() ~ ')') }}
        ) as is_churned
    from matured_scores
),

-- ROC-AUC as the Mann-Whitney statistic: tied probabilities share their mean rank.
ranked as (
    select
        scored_as_of_date,
        is_churned,
        (
            2 * rank() over (partition by scored_as_of_date order by churn_probability)
            + count(*) over (partition by scored_as_of_date, churn_probability) - 1
        ) / 2.0 as mean_rank
    from labelled
),

rank_sums as (
    select
        scored_as_of_date,
        count(*) as customers,
        count(case when is_churned then 1 end) as churned,
        sum(case when is_churned then mean_rank else 0 end) as churned_rank_sum
    from ranked
    group by scored_as_of_date
),

scoring_runs as (
    select
        scored_as_of_date,
        max(churn_model_version) as churn_model_version,
        max(churn_validation_roc_auc) as validation_roc_auc
    from labelled
    group by scored_as_of_date
),

graded as (
    select
        rank_sums.scored_as_of_date,
        scoring_runs.churn_model_version,
        rank_sums.customers,
        cast(rank_sums.churned as {{ type_double() }}) / rank_sums.customers as churn_rate,
        case
            when rank_sums.churned > 0 and rank_sums.churned < rank_sums.customers
                then (rank_sums.churned_rank_sum - rank_sums.churned * (rank_sums.churned + 1) / 2.0)
                    / (rank_sums.churned * (rank_sums.customers - rank_sums.churned))
        end as realised_roc_auc,
        scoring_runs.validation_roc_auc
    from rank_sums
    inner join scoring_runs
        on rank_sums.scored_as_of_date = scoring_runs.scored_as_of_date
),

performance as (
    select
        scored_as_of_date,
        churn_model_version,
        customers,
        churn_rate,
        realised_roc_auc,
        validation_roc_auc,
        realised_roc_auc / nullif(validation_roc_auc, 0) - 1 as relative_change,
        (1 - {{ tolerance }}) * validation_roc_auc as min_roc_auc,
        case
            when realised_roc_auc is null or validation_roc_auc is null then 'not_graded'
            when realised_roc_auc < (1 - {{ tolerance }}) * validation_roc_auc then 'error'
            else 'ok'
        end as status,
        {{ as_of_date() }} as evaluated_as_of_date
    from graded
)

select * from performance
