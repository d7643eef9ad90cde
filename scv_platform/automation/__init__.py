"""Orchestration and operations: jobs, schedules, sensors, alerts, freshness, automation, retries.

Import the modules themselves (``scv_platform.automation.build`` assembles them); this package
imports nothing so that asset modules can use ``automation.retries`` without cycles.
"""
