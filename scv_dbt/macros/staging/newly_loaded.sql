{#-
  A query of `columns` over the rows of the bronze `relation` loaded after the latest
  `_loaded_at` of this incremental staging model (new or re-delivered files), or none when
  the whole model is built. The rebuild conditions of the incremental staging models are
  made of it.
-#}
{% macro newly_loaded(relation, columns) -%}
    {%- set since = incremental_watermark('_loaded_at') -%}
    {%- if since is none -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return('select ' ~ columns ~ ' from ' ~ relation ~ ' where _loaded_at > ' ~ since) }}
{%- endmacro %}
