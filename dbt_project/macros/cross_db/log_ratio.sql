{% macro log_ratio(numerator, denominator) -%}
    {{ return(adapter.dispatch('log_ratio')(numerator, denominator)) }}
{%- endmacro %}

{% macro default__log_ratio(numerator, denominator) -%}
    ln(({{ numerator }}) / nullif({{ denominator }}, 0))
{%- endmacro %}
