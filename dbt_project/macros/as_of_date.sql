{#- The feature cutoff as a SQL date expression.
    var('as_of_date') when set, else env var RETAIL_AS_OF_DATE (what `retail
    build --as-of-date` sets), validated as YYYY-MM-DD; otherwise the day after
    the last parseable transaction, so a default run describes "now".
    Future-dated rows (clock errors, test orders) never move it.
    dbt re-parses the whole project when vars change, and the files that read an
    env var at parse time when it changes; the env var is read only when the SQL
    is compiled to run (execute), so a new date re-parses nothing. Parsing takes
    the default branch, so every caller depends on int_default_as_of_date. -#}
{% macro as_of_date() -%}
    {%- set value = var('as_of_date', none) -%}
    {%- if execute and (value is none or (value | string | trim) == '') -%}
        {%- set value = env_var('RETAIL_AS_OF_DATE', '') -%}
    {%- endif -%}
    {%- if value is none or (value | string | trim) == '' -%}
        (select as_of_date from {{ ref('int_default_as_of_date') }})
    {%- else -%}
        {%- set text = value | string | trim -%}
        {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', text) -%}
            {{ exceptions.raise_compiler_error(
                "as_of_date must be a date as YYYY-MM-DD, got '" ~ text
                ~ "' (retail build --as-of-date, var as_of_date or env var RETAIL_AS_OF_DATE)") }}
        {%- endif -%}
        {%- do modules.datetime.datetime.strptime(text, '%Y-%m-%d') -%}
        cast('{{ text }}' as date)
    {%- endif -%}
{%- endmacro %}
