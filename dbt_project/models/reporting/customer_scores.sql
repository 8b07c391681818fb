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

purchase_forecast as (
    select
        customer_id,
        probability_alive,
        expected_orders,
        expected_days_to_next_order
    from {{ ref('purchase_forecast') }}
),

rfm as (
    select
        customer_id,
        r_score,
        f_score,
        m_score,
        rfm_segment
    from {{ ref('customer_rfm') }}
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
        high_risk_probability,
        retention_incentive_cost,
        gross_margin,
        save_rate,
        campaign_budget,
        retention_probability_floor
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
        -- Predicted LTV already counts the chance of churning (a churner spends
        -- nothing in the horizon): divided by the chance of staying, it is the
        -- spend expected if the customer stays.
        ltv.predicted_ltv / greatest(
            1 - churn.churn_probability, parameters.retention_probability_floor
        ) as value_at_risk,
        parameters.retention_incentive_cost,
        parameters.gross_margin,
        parameters.save_rate,
        parameters.campaign_budget,
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

valued as (
    select
        tiered.*,
        tiered.churn_probability * tiered.value_at_risk * tiered.gross_margin
            as expected_churn_loss,
        tiered.churn_probability * tiered.save_rate * tiered.value_at_risk
            * tiered.gross_margin as expected_saved_margin,
        tiered.churn_probability * tiered.save_rate * tiered.value_at_risk
            * tiered.gross_margin - tiered.retention_incentive_cost
            as expected_value_of_contact
    from tiered
),

-- The recency most of a segment's customers stay within: a customer beyond
-- it (or beyond lapsed_after_days) has lapsed, whatever the segment's name says.
segment_recency as (
    select
        segment_id,
        percentile_cont(0.9) within group (order by recency_days) as typical_max_recency_days
    from tiered
    group by segment_id
),

-- Worth contacting: a positive expected value; with a budget, best first
-- until the incentives would exceed it.
prioritised as (
    select
        valued.*,
        valued.recency_days > least(
            segment_recency.typical_max_recency_days, {{ var('lapsed_after_days') }}
        ) as is_lapsed,
        case
            when valued.expected_value_of_contact > 0
                then row_number() over (
                    partition by valued.expected_value_of_contact > 0
                    order by valued.expected_value_of_contact desc, valued.customer_id
                )
        end as contact_priority
    from valued
    inner join segment_recency
        on valued.segment_id = segment_recency.segment_id
),

scored as (
    select
        prioritised.customer_id,
        prioritised.country,
        prioritised.segment_name,
        prioritised.value_tier,
        prioritised.risk_tier,
        playbook.recommended_action,
        prioritised.segmentation_run_id,
        prioritised.churn_run_id,
        prioritised.ltv_run_id,
        prioritised.segmentation_model_version,
        prioritised.churn_model_version,
        prioritised.ltv_model_version,
        prioritised.segment_id,
        prioritised.is_lapsed,
        rfm.r_score,
        rfm.f_score,
        rfm.m_score,
        rfm.rfm_segment,
        purchase_forecast.probability_alive,
        purchase_forecast.expected_orders as expected_orders_next_horizon,
        cast({{ dbt.dateadd(
            'day',
            'cast(round(purchase_forecast.expected_days_to_next_order) as integer)',
            'prioritised.as_of_date') }} as date) as next_order_expected_on,
        prioritised.recency_days,
        prioritised.frequency,
        prioritised.monetary,
        prioritised.monetary_last_90d,
        prioritised.avg_order_value,
        prioritised.unique_products,
        prioritised.tenure_days,
        prioritised.return_rate,
        prioritised.churn_probability,
        prioritised.predicted_ltv,
        prioritised.ltv_horizon_days,
        prioritised.value_at_risk,
        prioritised.expected_churn_loss,
        prioritised.expected_saved_margin,
        prioritised.expected_value_of_contact,
        prioritised.contact_priority,
        coalesce(
            prioritised.contact_priority is not null
            and (
                prioritised.campaign_budget is null
                or prioritised.contact_priority * prioritised.retention_incentive_cost
                <= prioritised.campaign_budget
            ),
            false
        ) as is_contact_recommended,
        prioritised.as_of_date
    from prioritised
    inner join rfm
        on prioritised.customer_id = rfm.customer_id
    inner join purchase_forecast
        on prioritised.customer_id = purchase_forecast.customer_id
    left join playbook
        on prioritised.value_tier = playbook.value_tier
        and prioritised.risk_tier = playbook.risk_tier
)

select * from scored
