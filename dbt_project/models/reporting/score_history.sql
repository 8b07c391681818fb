{{ config(
    materialized='incremental',
    unique_key=['as_of_date', 'customer_id'],
    incremental_strategy='delete+insert',
    full_refresh=false,
) }}
{#- Every build's scores, kept across builds (a rerun at the same as_of_date
    replaces its rows): the memory that prediction drift, performance drift
    and the action outbox compare against. -#}

with

customer_scores as (
    select
        customer_id,
        segment_id,
        segment_name,
        risk_tier,
        churn_probability,
        predicted_ltv,
        is_contact_recommended,
        churn_run_id,
        churn_model_version,
        ltv_model_version,
        segmentation_model_version,
        as_of_date
    from {{ ref('customer_scores') }}
),

validation_auc as (
    select
        model_run_id,
        value as roc_auc
    from {{ ref('model_metrics') }}
    where
        model_family = 'churn'
        and split = 'validation'
        and model_name = 'chosen'
        and metric = 'roc_auc'
),

history as (
    select
        customer_scores.customer_id,
        customer_scores.segment_id,
        customer_scores.segment_name,
        customer_scores.risk_tier,
        customer_scores.churn_probability,
        customer_scores.predicted_ltv,
        customer_scores.is_contact_recommended,
        customer_scores.churn_model_version,
        customer_scores.ltv_model_version,
        customer_scores.segmentation_model_version,
        validation_auc.roc_auc as churn_validation_roc_auc,
        customer_scores.as_of_date
    from customer_scores
    left join validation_auc
        on customer_scores.churn_run_id = validation_auc.model_run_id
)

select * from history
