{#- Parse a text timestamp written in the strptime format named per row in
    format_column (with a UTC offset, %z, converted to UTC). Ingest records
    one detected format per load (raw.loads); the formats
    recorded there are read at run time so every load parses
    with its own format. Unparseable text gives null (ingest already recorded
    why in _parse_error). -#}
{% macro parse_datetime(value_column, format_column) -%}
    {{ return(adapter.dispatch('parse_datetime')(value_column, format_column)) }}
{%- endmacro %}

{#- Adapters without strptime: ISO 8601 text only. -#}
{% macro default__parse_datetime(value_column, format_column) -%}
    {{ dbt.safe_cast('trim(' ~ value_column ~ ')', dbt.type_timestamp()) }}
{%- endmacro %}

{% macro duckdb__parse_datetime(value_column, format_column) -%}
    {%- set formats = [] -%}
    {%- if execute -%}
        {%- set query -%}
            select distinct datetime_format
            from {{ source('retail', 'loads') }}
            {#- Replays before 2026-12 recorded an empty format (their rows held the real one). #}
            where coalesce(datetime_format, '') <> ''
            order by 1
        {%- endset -%}
        {%- set formats = run_query(query).columns[0].values() -%}
    {%- endif -%}
    case
        when {{ format_column }} is null then cast(null as timestamp)
        {%- for fmt in formats %}
        {%- set quoted = fmt | replace("'", "''") %}
        when {{ format_column }} = '{{ quoted }}'
        {%- if '%z' in fmt %}
            {#- A UTC offset in the text: the instant, as UTC. #}
            then timezone('UTC', try_strptime(trim({{ value_column }}), '{{ quoted }}'))
        {%- else %}
            then try_strptime(trim({{ value_column }}), '{{ quoted }}')
        {%- endif %}
        {%- endfor %}
    end
{%- endmacro %}
