"""dbt (silver and gold) as Dagster assets: every model an asset, every test a check."""
