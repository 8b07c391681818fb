{#- on-run-start on Spark: raw.transactions and raw.loads are views over the
    Parquet folders `retail export-raw` writes (RETAIL_RAW_PARQUET, default
    warehouse/raw_parquet, a relative path read from the working directory; on
    a cluster a lake path such as s3://bucket/retail/raw). Views, not external
    tables: Spark resolves a table's relative location inside its database
    folder, a path query against the working directory. Re-created on every
    run so a new export or path is read. DuckDB reads raw.* as `retail ingest`
    loaded it: nothing to do there. -#}
{% macro register_raw_parquet() -%}
    {%- if execute and target.type == 'spark' -%}
        {%- set root = env_var('RETAIL_RAW_PARQUET', 'warehouse/raw_parquet') | replace('`', '``') -%}
        {%- do run_query('create database if not exists raw') -%}
        {%- for table in ['transactions', 'loads'] -%}
            {%- do run_query('create or replace view raw.' ~ table
                ~ ' as select * from parquet.`' ~ root ~ '/' ~ table ~ '`') -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{%- endmacro %}
