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
        reason_1_text,
        reason_2_text,
        reason_3_text,
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
        lifecycle_stage,
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
        retention_probability_floor,
        lapsed_after_days,
        new_customer_days
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
        churn.reason_1_text as churn_reason_1,
        churn.reason_2_text as churn_reason_2,
        churn.reason_3_text as churn_reason_3,
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
        parameters.lapsed_after_days,
        parameters.new_customer_days,
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
        least(
            segment_recency.typical_max_recency_days, valued.lapsed_after_days
        ) as lapsed_after_recency_days,
        valued.recency_days > least(
            segment_recency.typical_max_recency_days, valued.lapsed_after_days
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

staged as (
    select
        prioritised.*,
        case
            when prioritised.tenure_days < prioritised.new_customer_days then 'new'
            when prioritised.is_lapsed then 'lapsed'
            else 'active'
        end as lifecycle_stage
    from prioritised
),

scored as (
    select
        staged.customer_id,
        staged.country,
        staged.segment_name,
        staged.lifecycle_stage,
        staged.value_tier,
        staged.risk_tier,
        playbook.recommended_action,
        staged.segmentation_run_id,
        staged.churn_run_id,
        staged.ltv_run_id,
        staged.segmentation_model_version,
        staged.churn_model_version,
        staged.ltv_model_version,
        staged.segment_id,
        staged.is_lapsed,
        staged.lapsed_after_recency_days,
        rfm.r_score,
        rfm.f_score,
        rfm.m_score,
        rfm.rfm_segment,
        purchase_forecast.probability_alive,
        purchase_forecast.expected_orders as expected_orders_next_horizon,
        cast({{ dbt.dateadd(
            'day',
            'cast(round(purchase_forecast.expected_days_to_next_order) as integer)',
            'staged.as_of_date') }} as date) as next_order_expected_on,
        staged.recency_days,
        staged.frequency,
        staged.monetary,
        staged.monetary_last_90d,
        staged.avg_order_value,
        staged.unique_products,
        staged.tenure_days,
        staged.return_rate,
        staged.churn_probability,
        staged.churn_reason_1,
        staged.churn_reason_2,
        staged.churn_reason_3,
        staged.predicted_ltv,
        staged.ltv_horizon_days,
        staged.value_at_risk,
        staged.expected_churn_loss,
        staged.expected_saved_margin,
        staged.expected_value_of_contact,
        staged.contact_priority,
        coalesce(
            staged.contact_priority is not null
            and (
                staged.campaign_budget is null
                or staged.contact_priority * staged.retention_incentive_cost
                <= staged.campaign_budget
            ),
            false
        ) as is_contact_recommended,
        staged.as_of_date
    from staged
    inner join rfm
        on staged.customer_id = rfm.customer_id
    inner join purchase_forecast
        on staged.customer_id = purchase_forecast.customer_id
    left join playbook
        on staged.lifecycle_stage = playbook.lifecycle_stage
        and staged.value_tier = playbook.value_tier
        and staged.risk_tier = playbook.risk_tier
)

select * from scored
