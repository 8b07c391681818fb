{#- Tables kept between retrainings: what the champions were trained on stays
    as it was until they are replaced, and a build that scores with them skips
    the work. customer_training_snapshots is rebuilt only in a build where
    churn or LTV retrains (37 s of a 170 s scheduled build at 100x the real
    data); ml.drift_reference_features when churn retrains or its cutoff
    moves (3 s). -#}

{#- Whether this build rebuilds the model: when one of `families` retrains
    (ml.retraining_plan), when `kept_when` (a SQL condition on the table) is
    false, and always outside an incremental DuckDB run (first build,
    --full-refresh, Spark, unit tests), when no plan was built (a build of the
    SQL layer alone) and when the table's columns are not the model's (a new
    version of the project: append_new_columns then adds the new ones to the
    emptied table; a dropped column stays, and the table is rebuilt every
    time, until a --full-refresh). -#}
{% macro rebuild_needed(families, kept_when='true') -%}
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
    {%- set query -%}
        select
            exists (
                select 1
                from {{ plan }}
                where family in ('{{ families | join("', '") }}') and retrain
            )
            or not ({{ kept_when }})
    {%- endset -%}
    {{- return(run_query(query).columns[0].values()[0]) -}}
{%- endmacro %}

{#- Pre-hook: the kept rows go when new ones are built. -#}
{% macro clear_when_rebuilt(families, kept_when='true') -%}
    {%- if is_incremental() and rebuild_needed(families, kept_when) -%}
        delete from {{ this }}
    {%- endif -%}
{%- endmacro %}
