select
    publication_id,
    max(published_at) as published_at,
    max(as_of_date) as as_of_date,
    count(*) as published_tables
from reporting.publication
group by publication_id
