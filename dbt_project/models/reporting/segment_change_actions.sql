{{ config(
    materialized='incremental',
    incremental_strategy='append',
    full_refresh=false,
) }}
{#- The action outbox a CRM or e-mail tool polls: one event per customer
    whose change since the previous build calls for the playbook, e.g. a move
    into a high-risk segment. Append-only and keyed by a deterministic
    event_id: a rerun finds its events already there and adds nothing, and
    created_at never changes, so "created since my last poll" is safe. -#}
{%- set high_risk = var('high_risk_probability') -%}

with

current_scores as (
    select
        customer_id,
        segment_id,
        segment_name,
        value_tier,
        risk_tier,
        recommended_action,
        churn_probability,
        predicted_ltv,
        as_of_date
    from {{ ref('customer_scores') }}
),

previous_scores as (
    select
        customer_id,
        segment_id,
        segment_name,
        churn_probability,
        as_of_date
    from {{ ref('previous_scores') }}
),

segments as (
    select
        segment_id,
        risk_tier
    from {{ ref('segment_summary') }}
),

triggers as (
    select 'entered_high_risk_segment' as trigger_name
    union all
    select 'churn_risk_crossed_threshold' as trigger_name
),

compared as (
    select
        current_scores.customer_id,
        previous_scores.segment_name as from_segment_name,
        current_scores.segment_name as to_segment_name,
        previous_scores.churn_probability as previous_churn_probability,
        current_scores.churn_probability,
        current_scores.predicted_ltv,
        current_scores.value_tier,
        current_scores.risk_tier,
        current_scores.recommended_action,
        previous_scores.as_of_date as previous_as_of_date,
        current_scores.as_of_date,
        current_scores.segment_id <> previous_scores.segment_id
            and coalesce(segments.risk_tier = 'high', false) as entered_high_risk_segment,
        previous_scores.churn_probability < {{ high_risk }}
            and current_scores.churn_probability >= {{ high_risk }} as churn_risk_crossed_threshold
    from current_scores
    inner join previous_scores
        on current_scores.customer_id = previous_scores.customer_id
    left join segments
        on current_scores.segment_id = segments.segment_id
),

changes as (
    select
        compared.customer_id,
        triggers.trigger_name,
        compared.from_segment_name,
        compared.to_segment_name,
        compared.previous_churn_probability,
        compared.churn_probability,
        compared.predicted_ltv,
        compared.value_tier,
        compared.risk_tier,
        compared.recommended_action,
        compared.previous_as_of_date,
        compared.as_of_date
    from compared
    inner join triggers
        on (triggers.trigger_name = 'entered_high_risk_segment' and compared.entered_high_risk_segment)
        or (triggers.trigger_name = 'churn_risk_crossed_threshold' and compared.churn_risk_crossed_threshold)
),

events as (
    select
        md5({{ dbt.concat([
            'customer_id', "'|'", dbt.safe_cast('as_of_date', dbt.type_string()), "'|'", 'trigger_name'
        ]) }}) as event_id,
        customer_id,
        trigger_name,
        recommended_action,
        from_segment_name,
        to_segment_name,
        value_tier,
        risk_tier,
        previous_churn_probability,
        churn_probability,
        predicted_ltv,
        previous_as_of_date,
        as_of_date,
        {{ dbt.current_timestamp() }} as created_at
    from changes
)

select * from events
{%- if is_incremental() %}
where event_id not in (select event_id from {{ this }})
{%- endif %}
