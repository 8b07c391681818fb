-- The cutoffs and costs behind this build's retention decisions, in one
-- place: customer_scores and segment_summary tier with them, the strategic
-- report prices actions with them, and the API tiers ad-hoc scores with them.
with

ltv as (
    select predicted_ltv
    from {{ ref('ltv_scores') }}
),

features as (
    select max(as_of_date) as as_of_date
    from {{ ref('customer_features') }}
),

value_cutoff as (
    select
        percentile_cont({{ var('high_value_quantile') }}) within group (
            order by predicted_ltv
        ) as high_value_ltv
    from ltv
),

parameters as (
    select
        cast({{ var('high_value_quantile') }} as {{ type_double() }})
            as high_value_quantile,
        value_cutoff.high_value_ltv,
        cast({{ var('high_risk_probability') }} as {{ type_double() }})
            as high_risk_probability,
        cast({{ var('retention_incentive_cost') }} as {{ type_double() }})
            as retention_incentive_cost,
        cast({{ var('gross_margin') }} as {{ type_double() }})
            as gross_margin,
        cast({{ var('save_rate') }} as {{ type_double() }})
            as save_rate,
        cast({{ var('campaign_budget') if var('campaign_budget') is not none else 'null' }}
            as {{ type_double() }}) as campaign_budget,
        cast({{ var('retention_probability_floor') }} as {{ type_double() }})
            as retention_probability_floor,
        cast({{ var('ltv_horizon_days') }} as {{ dbt.type_int() }})
            as ltv_horizon_days,
        cast({{ var('lapsed_after_days') }} as {{ dbt.type_int() }})
            as lapsed_after_days,
        cast({{ var('new_customer_days') }} as {{ dbt.type_int() }})
            as new_customer_days,
        features.as_of_date
    from value_cutoff
    cross join features
    -- no customers (an empty or --empty build): no parameters rather than nulls
    where features.as_of_date is not null
)

select * from parameters
