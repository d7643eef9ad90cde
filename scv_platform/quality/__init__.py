"""Data quality beyond dbt tests: row-level rules with quarantine, robust outliers, broken
keys, duplicates, coverage, volume and schema checks, the history of every check result
(``quality.check_results``) and the ``gold.dq_scorecard``. Thresholds: ``QualitySettings``."""

from typing import NamedTuple

import dagster as dg

from scv_platform.quality.checks import build_quality_checks
from scv_platform.quality.scorecard import build_scorecard_assets


class QualityDefinitions(NamedTuple):
    assets: list[dg.AssetsDefinition | dg.AssetSpec]
    asset_checks: list[dg.AssetChecksDefinition]


def build_quality_definitions(
    partitions: dg.PartitionsDefinition, engine: str
) -> QualityDefinitions:
    return QualityDefinitions(build_scorecard_assets(engine), build_quality_checks(partitions))


__all__ = ["QualityDefinitions", "build_quality_definitions"]
