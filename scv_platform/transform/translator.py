"""How dbt nodes become Dagster assets: keys ``[layer, model]``, groups, bronze sources."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtProject

from scv_platform.automation.policies import (
    GOLD_LAYER,
    daily_freshness_policy,
    gold_automation_condition,
)
from scv_platform.partitions import DAILY_TAG
from scv_platform.transform.test_descriptions import describe_test
from scv_platform.transform.test_order import built_before

LAYER_BY_FOLDER = {"staging": "silver", "intermediate": "silver", "identity": "silver"}


def model_layer(props: Mapping[str, Any]) -> str:
    """The medallion layer a model belongs to: its schema (silver / gold)."""
    schema = (props.get("config") or {}).get("schema")
    if schema:
        return str(schema)
    folder = props.get("fqn", ["", "models"])[1]
    return LAYER_BY_FOLDER.get(folder, "gold")


class ScvDbtTranslator(DagsterDbtTranslator):
    """Sources map onto the bronze assets, so lineage runs from landing files to marts."""

    def __init__(self) -> None:
        super().__init__(
            settings=DagsterDbtTranslatorSettings(
                enable_asset_checks=True, enable_code_references=True
            )
        )

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        return dg.AssetKey([model_layer(dbt_resource_props), dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "source":
            return None
        meta_group = ((dbt_resource_props.get("config") or {}).get("meta") or {}).get("group")
        if meta_group:
            return str(meta_group)
        layer = model_layer(dbt_resource_props)
        if dbt_resource_props["resource_type"] == "seed":
            return f"{layer}_reference"
        fqn = dbt_resource_props.get("fqn", [])
        return f"{layer}_{fqn[-2]}" if len(fqn) > 2 else layer

    # Operations (automation/policies.py): every gold model gets the daily freshness policy and
    # the gold automation condition, so new gold models get them without further code.
    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        if _is_gold_node(props) and spec.freshness_policy is None:
            return spec.replace_attributes(freshness_policy=daily_freshness_policy())
        return spec

    def get_asset_check_spec(
        self,
        asset_spec: dg.AssetSpec,
        manifest: Mapping[str, Any],
        unique_id: str,
        project: DbtProject | None,
    ) -> dg.AssetCheckSpec | None:
        """dbt tests as checks, described in words when their YAML gives no description, and
        with only the additional dependencies that order something (``without_ordering_deps``)."""
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None:
            return None
        spec = self.without_ordering_deps(spec, manifest, unique_id, project)
        if spec.description:
            return spec
        test = self.get_resource_props(manifest, unique_id)
        attached = test.get("attached_node")
        model = self.get_resource_props(manifest, attached) if attached else {}
        daily = DAILY_TAG in (model.get("tags") or [])
        return spec._replace(description=describe_test(test, daily))

    def without_ordering_deps(
        self,
        spec: dg.AssetCheckSpec,
        manifest: Mapping[str, Any],
        unique_id: str,
        project: DbtProject | None,
    ) -> dg.AssetCheckSpec:
        """Drop a test's second parents that are built before its model anyway.

        Dagster colours a check that depends on an asset outside the run one op later than
        its model, which splits the dbt op into one more dbt step (a dbt invocation) for a handful
        of tests. A second parent needs no Dagster edge when it is upstream of the model, or
        built from landing data and seeds alone (the first dbt op of any run); dbt orders
        the test after both parents within an invocation.
        """
        attached = self.get_resource_props(manifest, unique_id).get("attached_node")
        if not attached or not spec.additional_deps:
            return spec
        needless = {
            self.get_asset_spec(manifest, parent, project).key
            for parent in manifest["parent_map"].get(unique_id, [])
            if parent != attached and built_before(manifest, parent, attached)
        }
        kept = [dep for dep in spec.additional_deps if dep.asset_key not in needless]
        return spec._replace(additional_deps=kept)

    def get_automation_condition(
        self, dbt_resource_props: Mapping[str, Any]
    ) -> dg.AutomationCondition | None:
        if not _is_gold_node(dbt_resource_props):
            return super().get_automation_condition(dbt_resource_props)
        daily = DAILY_TAG in (dbt_resource_props.get("tags") or [])
        return gold_automation_condition(dbt_resource_props["name"], daily)


def _is_gold_node(props: Mapping[str, Any]) -> bool:
    """A gold model or snapshot (sources named ``gold`` are other assets' outputs)."""
    return props["resource_type"] in {"model", "snapshot"} and model_layer(props) == GOLD_LAYER
