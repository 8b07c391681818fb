{{ config(materialized='view') }}

with

previous_run as (
    select
        customer_id,
        segment_id,
        segment_name,
        risk_tier,
        churn_probability,
        predicted_ltv,
        churn_model_version,
        as_of_date
    from {{ ref('score_history') }}
    where as_of_date = {{ previous_scoring_date() }}
)

select * from previous_run
