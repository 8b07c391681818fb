{{ config(materialized='view') }}

{#- What the segment snapshot tracks. version_at orders versions in data time
    (the build's as_of_date) and, within one as_of_date, by what can change a
    segment on the same day: a later load (late rows that do not move the
    date) or a newer model (a retraining after a drift error). Both are
    counters, so the offset, in microseconds, only ever grows:
    load watermark x 100,000 + model version. -#}
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

loads as (
    select max(load_id) as load_watermark
    from {{ ref('int_transaction_lines_classified') }}
),

versioned as (
    select
        segments.customer_id,
        segments.segment_id,
        segments.segment_name,
        segments.algorithm,
        segments.model_run_id,
        segments.model_version,
        segments.as_of_date,
        segments.scored_at,
        cast(segments.as_of_date as {{ dbt.type_timestamp() }})
            + to_microseconds(loads.load_watermark * 100000 + segments.model_version) as version_at
    from segments
    cross join loads
)

select * from versioned
