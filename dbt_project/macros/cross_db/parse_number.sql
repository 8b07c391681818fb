{#- A number as written in the export, as text a cast reads: with a decimal
    comma (separator_column = ','), points group thousands (1.234,56); with a
    decimal point, commas do (1,234.56). Ingest detects the separator per load
    and checks the same way (models_py.ingest.number_text). -#}
{% macro parse_number(value_column, separator_column) -%}
    case
        when {{ separator_column }} = ','
            then replace(replace(trim({{ value_column }}), '.', ''), ',', '.')
        else replace(trim({{ value_column }}), ',', '')
    end
{%- endmacro %}
