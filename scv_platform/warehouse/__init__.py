"""Warehouse plumbing shared by every layer: SQL quoting, DuckDB connections, operational tables."""
