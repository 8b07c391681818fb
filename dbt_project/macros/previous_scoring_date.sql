{#- The latest as_of_date before this build's in reporting.score_history:
    the run prediction drift and the action outbox compare against. -#}
{% macro previous_scoring_date() -%}
    (
        select max(as_of_date)
        from {{ ref('score_history') }}
        where as_of_date < {{ as_of_date() }}
    )
{%- endmacro %}
