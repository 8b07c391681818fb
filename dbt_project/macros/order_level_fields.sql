{#- The fields some exports (Shopify's) write on an order's first line only,
    and the key grouping a load's lines into orders: a line's blank field is
    taken from another line of its order (model stg_retail__order_fills;
    ingest checks the same way, models_py.ingest.loading). -#}
{% macro order_level_fields() -%}
    {{ return(['customer_id', 'order_datetime', 'country', 'cancelled_at', 'is_cancelled']) }}
{%- endmacro %}

{% macro order_key(order_id) -%}
    nullif(upper(trim({{ order_id }})), '')
{%- endmacro %}

{#- own_else_fill(field, typed): a line's order-level field typed by macro
    `typed` from the line's own text (column <field>_text) when it has one,
    else from its order's (<field>_fill). Typed apart rather than after a
    coalesce, so that DuckDB types each distinct own text once, straight from
    the dictionary-compressed raw column: typed after the coalesce, the
    order dates alone took 3-4 s of CPU per read of 54M lines. -#}
{% macro own_else_fill(field, typed) -%}
    case
        when {{ field }}_text is not null then {{ typed(field ~ '_text') }}
        else {{ typed(field ~ '_fill') }}
    end
{%- endmacro %}

{#- Excel stores numeric ids as floats: 12346.0 and 12346 are one customer.
    [.] rather than a backslash: Spark reads '\.' in a string literal as '.', any character.
    The LIKE lets only ids that can match (a point, a final zero) reach the regular
    expression, which took 3 s of CPU per read of 54M lines. -#}
{% macro customer_id_typed(column) -%}
    nullif(
        case
            when {{ column }} like '%.%0'
                then regexp_replace({{ column }}, '[.]0+$', '')
            else {{ column }}
        end,
        ''
    )
{%- endmacro %}

{% macro datetime_typed(column) -%}
    {{ parse_datetime(column, 'datetime_format') }}
{%- endmacro %}
