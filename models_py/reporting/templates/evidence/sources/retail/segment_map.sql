-- A reproducible sample of the 2-D segment map: enough to see the shapes,
-- small enough for the browser at any data size.
select
    embedding.x,
    embedding.y,
    segments.segment_name
from ml.customer_embedding as embedding
inner join ml.customer_segments as segments
    on embedding.customer_id = segments.customer_id
using sample reservoir(3000 rows) repeatable (42)
