with

segment_spells as (
    select
        customer_id,
        segment_id,
        segment_name,
        dbt_valid_from
    from {{ ref('snp_customer_segments') }}
),

ordered_spells as (
    select
        customer_id,
        segment_id,
        segment_name,
        lag(segment_id) over (
            partition by customer_id order by dbt_valid_from
        ) as from_segment_id,
        lag(segment_name) over (
            partition by customer_id order by dbt_valid_from
        ) as from_segment_name,
        dbt_valid_from
    from segment_spells
),

transitions as (
    select
        customer_id,
        from_segment_name,
        segment_name as to_segment_name,
        from_segment_id,
        segment_id as to_segment_id,
        cast(dbt_valid_from as date) as moved_on,
        dbt_valid_from as moved_at
    from ordered_spells
    where from_segment_id is not null
)

select * from transitions
