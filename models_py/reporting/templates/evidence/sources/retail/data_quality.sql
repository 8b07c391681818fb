select
    rule_order,
    rule_name,
    rows_affected,
    share_of_raw_rows,
    amount_affected,
    why_dropped,
    cost_of_keeping
from marts.data_quality
order by rule_order
