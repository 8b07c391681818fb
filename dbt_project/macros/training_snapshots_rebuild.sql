{#- customer_training_snapshots is rebuilt only in a build where churn or LTV
    retrains (ml.retraining_plan): between retrainings it keeps the rows the
    champions were trained on, and a build that scores with them skips the
    work (37 s of a 170 s scheduled build at 100x the real data). -#}

{#- Whether this build needs fresh snapshots: always outside an incremental
    DuckDB run (first build, --full-refresh, Spark, unit tests), when no plan
    was built (a build of the SQL layer alone) and when the table's columns are
    not the model's (a new version of the project: append_new_columns then adds
    the new ones to the emptied table; a dropped column stays, and the table is
    rebuilt every time, until a --full-refresh). -#}
{% macro training_snapshots_needed() -%}
    {%- if not execute or target.type == 'spark' or not is_incremental() -%}
        {{- return(true) -}}
    {%- endif -%}
    {%- if held_columns() | sort != model.columns.keys() | map('lower') | sort -%}
        {{- return(true) -}}
    {%- endif -%}
    {%- set plan = load_cached_relation(ref('retraining_plan')) -%}
    {%- if plan is none -%}
        {{- return(true) -}}
    {%- endif -%}
    {%- set retraining = run_query(
        "select count(*) from " ~ plan ~ " where family in ('churn', 'ltv') and retrain") -%}
    {{- return(retraining.columns[0].values()[0] > 0) -}}
{%- endmacro %}

{#- Pre-hook: the old snapshots go when new ones are built. -#}
{% macro clear_training_snapshots_when_needed() -%}
    {%- if is_incremental() and training_snapshots_needed() -%}
        delete from {{ this }}
    {%- endif -%}
{%- endmacro %}
