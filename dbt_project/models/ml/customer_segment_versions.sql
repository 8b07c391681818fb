{{ config(materialized='view') }}

{#- What the segment snapshot tracks. version_at orders versions in data time
    (the build's as_of_date), then by model version within a day: a second
    build on the same date with a retrained model (e.g. retrain_policy
    on_drift) is a later version, not a clash with the first. -#}
with

segments as (
    select
        customer_id,
        segment_id,
        segment_name,
        algorithm,
        model_run_id,
        model_version,
        as_of_date,
        scored_at
    from {{ ref('customer_segments') }}
),

versioned as (
    select
        customer_id,
        segment_id,
        segment_name,
        algorithm,
        model_run_id,
        model_version,
        as_of_date,
        scored_at,
        cast(as_of_date as {{ dbt.type_timestamp() }})
            + to_microseconds(model_version) as version_at
    from segments
)

select * from versioned
