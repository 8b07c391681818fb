-- Nothing is lost silently: every raw row is either kept or counted under
-- exactly one cleaning rule in marts.data_quality.
with

raw_rows as (
    select count(*) as row_count
    from {{ source('retail', 'transactions') }}
),

accounted_rows as (
    -- coalesce: under `dbt build --empty` both sides are empty.
    select coalesce(sum(rows_affected), 0) as row_count
    from {{ ref('data_quality') }}
)

select
    raw_rows.row_count as raw_row_count,
    accounted_rows.row_count as accounted_row_count
from raw_rows
cross join accounted_rows
where raw_rows.row_count <> accounted_rows.row_count
