{#- Incremental models process raw loads by load id: a load id is never
    reused (raw.loads keeps replaced loads), so rows with a load id above the
    highest one a model has processed are new, whatever their dates: late
    rows are picked up like any other.

    processed_load_watermark(column): the highest load id the model holds, as
    a literal read at run time (a subquery in the filter kept DuckDB from
    pruning the old loads' row groups: 17 s instead of 1 s to classify a day
    at 100x); 0 when the model is empty, when its table has no such column
    yet (a model that was a plain table in an earlier version of the
    project), or when a replacing load arrived after it (the pre-hook below
    empties the model, which is then rebuilt from scratch). -#}
{% macro processed_load_watermark(column='load_id') -%}
    {%- if not execute or column | lower not in held_columns() -%}
        {{- return(0) -}}
    {%- endif -%}
    {%- set query -%}
        select case when {{ replaced_after('watermark.held') }} then 0 else watermark.held end
        from (select {{ held_load_max(column) }} as held) as watermark
    {%- endset -%}
    {{- return(run_query(query).columns[0].values()[0] | int) -}}
{%- endmacro %}

{#- new_loads_filter(column): the where clause keeping the rows of loads after
    the model's watermark (`column` names the load id in the rows read, e.g.
    raw's _load_id); `where true` when the model is built from scratch, so
    callers may append `and ...`. Each call reads the watermark: set it once
    for a model that filters several reads. -#}
{% macro new_loads_filter(column='load_id') -%}
    {%- if is_incremental() -%}
        where {{ column }} > {{ processed_load_watermark() }}
    {%- else -%}
        where true
    {%- endif -%}
{%- endmacro %}

{% macro held_load_max(column) -%}
    (select coalesce(max({{ column }}), 0) from {{ this }})
{%- endmacro %}

{#- Whether a replacing load arrived after load `load_id`. -#}
{% macro replaced_after(load_id) -%}
    exists (
        select 1
        from {{ source('retail', 'loads') }}
        where mode = 'replace'
            and load_id > {{ load_id }}
    )
{%- endmacro %}

{#- The lower-case column names the model's existing table holds. -#}
{% macro held_columns() -%}
    {{- return(adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list) -}}
{%- endmacro %}

{#- touched_by_new_loads(key): the condition keeping the rows of every `key`
    (order_id, customer_id) a load after the model's watermark brings a kept
    purchase line for: the incremental models that recompute a key from all
    its lines (delete+insert on that key). -#}
{% macro touched_by_new_loads(key, watermark_column='last_load_id') -%}
    {{ key }} in (
        select {{ key }}
        from {{ ref('int_purchase_lines_kept') }}
        where load_id > {{ processed_load_watermark(watermark_column) }}
    )
{%- endmacro %}

{#- Pre-hook of the incremental models: when a replacing load (`retail
    ingest` without --append) arrived after the model's last processed load,
    the rows it holds may be gone from raw, so empty the model and let the
    incremental run rebuild it from scratch. -#}
{% macro reset_after_replacing_load(column='load_id') -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where {{ replaced_after(held_load_max(column)) }}
    {%- endif -%}
{%- endmacro %}

{#- The materialization of the load-incremental models: incremental, except on
    Spark, where a plain Parquet table cannot delete rows (the reset above and
    delete+insert need Delta Lake, which a local session cannot fetch): there
    the model is rebuilt whole, with the same result. -#}
{% macro incremental_by_load() -%}
    {{ return('table' if target.type == 'spark' else 'incremental') }}
{%- endmacro %}
