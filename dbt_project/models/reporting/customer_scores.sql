with

customer_features as (
    select
        customer_id,
        country,
        recency_days,
        frequency,
        monetary,
        monetary_last_90d,
        avg_order_value,
        unique_products,
        tenure_days,
        return_rate,
        as_of_date
    from {{ ref('customer_features') }}
),

segments as (
    select
        customer_id,
        segment_id,
        segment_name,
        model_run_id,
        model_version
    from {{ ref('customer_segments') }}
),

churn as (
    select
        customer_id,
        churn_probability,
        is_contact_recommended,
        model_run_id,
        model_version
    from {{ ref('churn_scores') }}
),

ltv as (
    select
        customer_id,
        predicted_ltv,
        ltv_horizon_days,
        model_run_id,
        model_version
    from {{ ref('ltv_scores') }}
),

playbook as (
    select
        value_tier,
        risk_tier,
        recommended_action
    from {{ ref('retention_playbook') }}
),

parameters as (
    select
        high_value_ltv,
        high_risk_probability
    from {{ ref('retention_parameters') }}
),

tiered as (
    select
        customer_features.customer_id,
        customer_features.country,
        segments.segment_name,
        case
            when ltv.predicted_ltv >= parameters.high_value_ltv then 'high'
            else 'low'
        end as value_tier,
        case
            when churn.churn_probability >= parameters.high_risk_probability
                then 'high'
            else 'low'
        end as risk_tier,
        segments.model_run_id as segmentation_run_id,
        churn.model_run_id as churn_run_id,
        ltv.model_run_id as ltv_run_id,
        segments.model_version as segmentation_model_version,
        churn.model_version as churn_model_version,
        ltv.model_version as ltv_model_version,
        segments.segment_id,
        customer_features.recency_days,
        customer_features.frequency,
        customer_features.monetary,
        customer_features.monetary_last_90d,
        customer_features.avg_order_value,
        customer_features.unique_products,
        customer_features.tenure_days,
        customer_features.return_rate,
        churn.churn_probability,
        ltv.predicted_ltv,
        ltv.ltv_horizon_days,
        churn.is_contact_recommended,
        customer_features.as_of_date
    from customer_features
    inner join segments
        on customer_features.customer_id = segments.customer_id
    inner join churn
        on customer_features.customer_id = churn.customer_id
    inner join ltv
        on customer_features.customer_id = ltv.customer_id
    cross join parameters
),

scored as (
    select
        tiered.customer_id,
        tiered.country,
        tiered.segment_name,
        tiered.value_tier,
        tiered.risk_tier,
        playbook.recommended_action,
        tiered.segmentation_run_id,
        tiered.churn_run_id,
        tiered.ltv_run_id,
        tiered.segmentation_model_version,
        tiered.churn_model_version,
        tiered.ltv_model_version,
        tiered.segment_id,
        tiered.recency_days,
        tiered.frequency,
        tiered.monetary,
        tiered.monetary_last_90d,
        tiered.avg_order_value,
        tiered.unique_products,
        tiered.tenure_days,
        tiered.return_rate,
        tiered.churn_probability,
        tiered.predicted_ltv,
        tiered.ltv_horizon_days,
        tiered.is_contact_recommended,
        tiered.as_of_date
    from tiered
    left join playbook
        on tiered.value_tier = playbook.value_tier
        and tiered.risk_tier = playbook.risk_tier
)

select * from scored
