{#-
  A Snowflake share of every view of the share schema (secure views, PII masked), for
  consumer accounts. Run by the role that owns the views and was granted CREATE SHARE on
  the account (SCV_TRANSFORMER in deploy/snowflake/setup.sql):

    dbt run-operation create_customer_share --target prod \
      --args '{share: SCV_CUSTOMER_SHARE, accounts: [PARTNER_ORG.PARTNER_ACCOUNT]}'

  dry_run: true only logs the statements. Running it again adds new share views to the share.
-#}
{% macro create_customer_share(share='SCV_CUSTOMER_SHARE', accounts=[], dry_run=false) %}
    {%- if target.type != 'snowflake' -%}
        {{ exceptions.raise_compiler_error('Shares exist on Snowflake only: use --target prod.') }}
    {%- endif -%}
    {%- set identifier = modules.re.compile('^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$') -%}
    {%- for name in [share] + accounts if not identifier.match(name) -%}
        {{ exceptions.raise_compiler_error('Not a plain identifier: ' ~ name) }}
    {%- endfor -%}
    {%- set views = [] -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'model' and node.fqn[1] == 'share' -%}
        {%- do views.append(node) -%}
    {%- endfor -%}
    {%- set database = target.database -%}
    {%- set statements = [
        'create share if not exists ' ~ share,
        'grant usage on database ' ~ database ~ ' to share ' ~ share,
        'grant usage on schema ' ~ database ~ '.share to share ' ~ share,
    ] -%}
    {%- for view in views -%}
        {%- do statements.append('grant select on view ' ~ database ~ '.' ~ view.schema ~ '.'
            ~ view.alias ~ ' to share ' ~ share) -%}
    {%- endfor -%}
    {%- if accounts -%}
        {%- do statements.append('alter share ' ~ share ~ ' add accounts = ' ~ accounts | join(', ')) -%}
    {%- endif -%}
    {%- for statement in statements -%}
        {{ log(('dry run: ' if dry_run else '') ~ statement, info=True) }}
        {%- if not dry_run -%}
            {%- do run_query(statement) -%}
        {%- endif -%}
    {%- endfor -%}
{% endmacro %}
