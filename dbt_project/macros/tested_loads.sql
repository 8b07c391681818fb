{#- Line-level tests of a scheduled build check only the loads no build has
    tested yet: at 100x the real data, a unique test over 54M lines took 10-16 s
    in every build to re-prove what the last one proved.

    A test opts in with `config: {where: "load_id > __tested_through_load_id__"}`
    (on the raw source, `_load_id`). Load ids only grow, old loads' rows never
    change in the load-incremental models, and the line keys carry the load id
    (load_id, source_row_number), so a key unique within each new load is unique
    in the table.
    `__tested_through_load_id__` becomes (main.dbt_build_scope, recorded at run
    start by record_build_scope):
    - the highest load id the last published build held (main.tested_loads,
      written by the publication node, which runs only after a complete
      `dbt build` whose tests all passed);
    - 0 (every load) for `dbt test` and other commands, --full-refresh, a
      replacing load since that build, a first build, and on Spark. -#}

{#- The on-run-start value (record_build_scope creates main.tested_loads, empty,
    on a first build). -#}
{% macro tested_through_load_id_at_start() -%}
    {%- if flags.WHICH != 'build' or flags.FULL_REFRESH -%}
        0
    {%- else -%}
        coalesce((
            select max(tested.tested_through_load_id)
            from main.tested_loads as tested
            where not {{ replaced_after('tested.tested_through_load_id') }}
        ), 0)
    {%- endif -%}
{%- endmacro %}

{% macro tested_through_load_id() -%}
    {%- if execute and target.type == 'duckdb' -%}
        {%- set recorded = run_query('select tested_through_load_id from main.dbt_build_scope') -%}
        {{- return(recorded.columns[0].values()[0] | int | string) -}}
    {%- endif -%}
    {{- return('0') -}}
{%- endmacro %}

{#- `condition` with the placeholder filled in at run time: a literal, so
    DuckDB prunes the old loads' row groups by their zone maps. -#}
{% macro with_tested_loads(condition) -%}
    {%- if '__tested_through_load_id__' in condition -%}
        {{- return(condition | replace('__tested_through_load_id__', tested_through_load_id())) -}}
    {%- endif -%}
    {{- return(condition) -}}
{%- endmacro %}

{#- dbt's own get_where_subquery, through with_tested_loads. -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if not where -%}
        {{- return(relation) -}}
    {%- endif -%}
    {%- set filtered -%}
        (select * from {{ relation }} where {{ with_tested_loads(where) }}) dbt_subquery
    {%- endset -%}
    {{- return(filtered) -}}
{%- endmacro %}
