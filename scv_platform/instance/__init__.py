"""The local Dagster instance: storage that ``dagster.yaml`` selects."""
