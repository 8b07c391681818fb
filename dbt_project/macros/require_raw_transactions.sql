{#- on-run-start guard: without loaded data every model and source test would
    fail with a catalog error; say what to do instead. -#}
{% macro require_raw_transactions() -%}
    {%- if execute and flags.WHICH in ('build', 'run', 'test', 'compile', 'show') -%}
        {%- set transactions = adapter.get_relation(
            database=target.database, schema='raw', identifier='transactions') -%}
        {%- if transactions is none -%}
            {{ exceptions.raise_compiler_error(
                "raw.transactions does not exist in " ~ target.path ~ ": load a file with "
                ~ "`retail ingest FILE`, or run `retail build` to generate and load the demo data") }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
