"""Jobs that people launch from the UI and that ``scv run`` executes."""

from __future__ import annotations

import dagster as dg

FULL_BUILD_JOB = "scv_full_build"


def full_build_job(partitions: dg.PartitionsDefinition) -> dg.UnresolvedAssetJobDefinition:
    return dg.define_asset_job(
        FULL_BUILD_JOB,
        selection=dg.AssetSelection.all(),
        partitions_def=partitions,
        description=(
            "Every asset and check: reference data plus the selected day partitions. "
            "Launch it over a date range (a backfill) to rebuild history in one run."
        ),
    )
