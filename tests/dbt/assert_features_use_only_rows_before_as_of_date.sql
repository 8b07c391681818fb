-- The time protocol: no feature may see an order at or after the cutoff.
select
    customer_id,
    as_of_date,
    last_ordered_at
from {{ ref('customer_features') }}
where last_ordered_at >= cast(as_of_date as {{ dbt.type_timestamp() }})
    or recency_days < 1
