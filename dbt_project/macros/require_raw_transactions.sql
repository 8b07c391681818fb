{#- on-run-start guard: without loaded data every model and source test would
    fail with a catalog error; say what to do instead. A warehouse loaded
    before the raw tables gained columns (models_py.ingest._ADDED_COLUMNS)
    gets them, empty, and one loaded before 2026-12 gets its per-load reading
    choices moved to raw.loads (move_load_constants), so a scheduled build
    after an upgrade runs without a new load first. -#}
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
        {%- set loads = adapter.get_relation(database=target.database, schema='raw', identifier='loads') -%}
        {%- if loads is none -%}
            {{ exceptions.raise_compiler_error(
                "raw.loads does not exist in " ~ target.path ~ " (raw.transactions does): staging reads how "
                ~ "each load was read from it; load the data again with `retail ingest FILE`") }}
        {%- endif -%}
        {%- if flags.WHICH in ('build', 'run') -%}
            {%- for column in ['cancelled_at', 'is_cancelled', 'refunded_amount'] %}
            alter table {{ transactions }} add column if not exists {{ column }} varchar;
            {%- endfor %}
            {%- for column in ['encoding', 'reading_options_json', 'file_name', 'decimal_separator',
                               'cancellation_prefix'] %}
            alter table {{ loads }} add column if not exists {{ column }} varchar;
            {%- endfor %}
            {{ move_load_constants(transactions, loads) }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- What every row of a load shares, written on each row by loads before
    2026-12 (models_py.ingest.MOVED_TO_LOADS, which ingest moves the same
    way): copied to the load's row of raw.loads, then dropped. -#}
{% macro move_load_constants(transactions, loads) -%}
    {%- set moved = {'_datetime_format': 'datetime_format', '_decimal_separator': 'decimal_separator',
                     '_cancellation_prefix': 'cancellation_prefix', '_source_file': 'file_name'} -%}
    {#- Not adapter.get_columns_in_relation: it begins a transaction, and dbt
        rolls the hooks run inside it back at the end of on-run-start. -#}
    {%- set described = adapter.execute('select column_name from (describe ' ~ transactions ~ ')', fetch=True)[1] -%}
    {%- set present = described.columns[0].values() | list -%}
    {%- set old = moved.keys() | select('in', present) | list -%}
    {%- if old %}
    update {{ loads }} as loads set
        {%- for column in old %}
        {{ moved[column] }} = per_load.{{ moved[column] }}{{ ',' if not loop.last }}
        {%- endfor %}
    from (
        select
            _load_id,
            {%- for column in old %}
            min({{ column }}) as {{ moved[column] }}{{ ',' if not loop.last }}
            {%- endfor %}
        from {{ transactions }}
        group by _load_id
    ) as per_load
    where loads.load_id = per_load._load_id;
    update {{ loads }} set file_name = regexp_extract(source_file, '[^/\\]+$') where file_name is null;
    {%- for column in old %}
    alter table {{ transactions }} drop column {{ column }};
    {%- endfor %}
    {%- endif %}
{%- endmacro %}
