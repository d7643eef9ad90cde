"""Headless runs of the whole platform (``scv run``)."""
