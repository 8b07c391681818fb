{#- on-run-start: record whether this invocation is a complete `dbt build`
    (every model, seed and snapshot selected, not --empty), in
    main.dbt_build_scope. The publication node publishes only then: a partial
    build would hand readers a mix of two builds, and `dbt run` skips the tests.
    Also the loads earlier builds have tested (macro tested_through_load_id_at_start). -#}
{% macro record_build_scope() -%}
    {%- if execute and target.type == 'duckdb' -%}
        {%- set buildable = graph.nodes.values()
            | selectattr('resource_type', 'in', ['model', 'seed', 'snapshot'])
            | map(attribute='unique_id') | list -%}
        {%- set selected = selected_resources | select('in', buildable) | list -%}
        {%- set data_tests = graph.nodes.values() | selectattr('resource_type', 'equalto', 'test')
            | map(attribute='unique_id') | list -%}
        {%- set tests_selected = selected_resources | select('in', data_tests) | list -%}
        {%- if flags.WHICH != 'build' -%}
            {%- set reason = 'dbt ' ~ flags.WHICH ~ ', not dbt build (tests not run)' -%}
        {%- elif flags.EMPTY -%}
            {%- set reason = '--empty build' -%}
        {%- elif selected | length < buildable | length -%}
            {%- set reason = 'partial build: ' ~ (selected | length) ~ ' of ' ~ (buildable | length)
                ~ ' models, seeds and snapshots selected' -%}
        {%- else -%}
            {%- set reason = '' -%}
        {%- endif -%}
        create table if not exists main.tested_loads (tested_through_load_id integer);
        create or replace table main.dbt_build_scope as
        select
            {{ 'true' if reason == '' else 'false' }} as is_complete_build,
            '{{ reason }}' as reason,
            {{ 'true' if reason == '' and tests_selected | length == data_tests | length else 'false' }}
                as runs_every_data_test,
            {{ tested_through_load_id_at_start() | indent(12) }} as tested_through_load_id
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
