{#- on-run-start guard: without loaded data every model and source test would
    fail with a catalog error; say what to do instead. A warehouse loaded
    before raw.transactions gained columns (models_py.ingest._ADDED_COLUMNS)
    gets them, empty, so a scheduled build after an upgrade runs without a
    new load first. -#}
{% macro require_raw_transactions() -%}
    {#- Spark: register_raw_parquet has just created the views, or failed naming the missing path. -#}
    {%- if execute and target.type == 'duckdb' and flags.WHICH in ('build', 'run', 'test', 'compile', 'show') -%}
        {%- set transactions = adapter.get_relation(
            database=target.database, schema='raw', identifier='transactions') -%}
        {%- if transactions is none -%}
            {{ exceptions.raise_compiler_error(
                "raw.transactions does not exist in " ~ target.path ~ ": load a file with "
                ~ "`retail ingest FILE`, or run `retail build` to generate and load the demo data") }}
        {%- endif -%}
        {%- if flags.WHICH in ('build', 'run') -%}
            {%- for column in ['cancelled_at', 'is_cancelled', 'refunded_amount',
                               '_decimal_separator', '_cancellation_prefix'] %}
            alter table {{ transactions }} add column if not exists {{ column }} varchar;
            {%- endfor %}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
