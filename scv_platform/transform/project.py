"""The dbt project, in a module of its own (no ``@dbt_assets`` here) so it loads cheaply."""

from __future__ import annotations

import importlib.metadata
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from dagster import AssetExecutionContext, OpExecutionContext
from dagster._utils import run_with_concurrent_update_guard
from dagster_dbt import DagsterDbtTranslator, DbtCliInvocation, DbtCliResource, DbtProject
from dagster_dbt.asset_utils import (
    extract_runtime_selection_from_args,
    get_updated_cli_invocation_params_for_context,
)
from dagster_dbt.dagster_dbt_translator import validate_opt_translator
from dagster_dbt.dbt_manifest import DbtManifestParam, validate_manifest
from packaging import version

from scv_platform.settings import DBT_PROJECT_DIR, Settings
from scv_platform.transform.in_process import DbtThread
from scv_platform.transform.target_folders import prune_invocation_folders

TARGET_PATHS = {"local": Path("target"), "prod": Path("target") / "prod"}


def dbt_target(settings: Settings) -> str:
    """The dbt target of the environment: ``local`` (DuckDB) or ``prod`` (Snowflake)."""
    return "local" if settings.is_local else "prod"


def dbt_executable() -> str:
    """dbt from this environment, whether or not the virtualenv is on the PATH."""
    beside_python = Path(sys.executable).parent / "dbt"
    return str(beside_python) if beside_python.exists() else (shutil.which("dbt") or "dbt")


def scv_dbt_project(settings: Settings) -> DbtProject:
    """The project for the environment's target; each target keeps its own manifest (the
    adapter it names gives the dbt assets their ``kinds`` tag: duckdb or snowflake)."""
    target = dbt_target(settings)
    return DbtProject(
        project_dir=DBT_PROJECT_DIR,
        profiles_dir=DBT_PROJECT_DIR,
        target=target,
        target_path=TARGET_PATHS[target],
    )


DBT_CORE_VERSION = version.parse(importlib.metadata.version("dbt-core"))


class ScvDbtCliResource(DbtCliResource):
    """dagster-dbt's resource, with dbt run inside the step's process
    (:mod:`scv_platform.transform.in_process`) instead of a dbt subprocess per step.

    Selection, target folders and the Dagster events are dagster-dbt's own; only the process
    differs. No in-process adapter is built for dagster-dbt's column metadata, which the
    platform does not ask for (row counts come through the warehouse gateway).
    """

    def cli(  # type: ignore[override]
        self,
        args: Sequence[str],
        *,
        raise_on_error: bool = True,
        manifest: DbtManifestParam | None = None,
        dagster_dbt_translator: DagsterDbtTranslator | None = None,
        context: OpExecutionContext | AssetExecutionContext | None = None,
        target_path: Path | None = None,
    ) -> DbtCliInvocation:
        cleaned, selects, excludes = extract_runtime_selection_from_args(args)
        params = get_updated_cli_invocation_params_for_context(
            context=context,
            manifest=validate_manifest(manifest) if manifest else {},
            dagster_dbt_translator=validate_opt_translator(dagster_dbt_translator)
            or DagsterDbtTranslator(),
            runtime_selects=selects,
            runtime_excludes=excludes,
        )
        project = params.dbt_project
        project_dir = Path(project.project_dir if project else self.project_dir)
        target_path = target_path or self._get_unique_target_path(context=context)
        target_path = target_path if target_path.is_absolute() else project_dir / target_path
        prune_invocation_folders(target_path.parent)
        flags = {"target_path": str(target_path), "log_path": str(target_path),
                 "project_dir": str(project_dir)}  # fmt: skip
        if self.profiles_dir:
            flags["profiles_dir"] = self.profiles_dir
        if params.indirect_selection:
            flags["indirect_selection"] = params.indirect_selection
        profile_args = [*(["--profile", self.profile] if self.profile else []),
                        *(["--target", self.target] if self.target else [])]  # fmt: skip
        command = [self.dbt_executable, *self.global_config_flags, *cleaned, *profile_args,
                   *params.selection_args]  # fmt: skip
        return DbtCliInvocation(
            process=DbtThread(command, flags),  # type: ignore[arg-type]
            manifest=params.manifest,
            dagster_dbt_translator=params.dagster_dbt_translator,
            project_dir=project_dir,
            target_path=target_path,
            raise_on_error=raise_on_error,
            context=context,
            cli_version=DBT_CORE_VERSION,
            project=project,
        )


def dbt_resource(project: DbtProject) -> DbtCliResource:
    return ScvDbtCliResource(
        project_dir=project, target=project.target, dbt_executable=dbt_executable()
    )


def _parse(project: DbtProject) -> None:
    dbt_resource(project).cli(["parse", "--quiet"], target_path=project.target_path).wait()


PROJECT_FOLDERS = ("models", "macros", "seeds", "snapshots", "tests")


def manifest_is_stale(project: DbtProject) -> bool:
    """True when the manifest is missing or older than a file of the dbt project."""
    if not project.manifest_path.exists():
        return True
    built = project.manifest_path.stat().st_mtime
    files = [project.project_dir / "dbt_project.yml"]
    for folder in PROJECT_FOLDERS:
        files += [f for f in (project.project_dir / folder).rglob("*") if f.is_file()]
    return any(f.stat().st_mtime > built for f in files if f.exists())


def ensure_manifest(project: DbtProject, force: bool = False) -> None:
    """Parse the project when its manifest is missing or stale (the CLI and tests don't run
    `dagster dev`, which re-parses on every load). ``make`` parses ahead for the same reason,
    so parallel test workers find a fresh manifest."""
    if force or project.preparer.using_dagster_dev() or manifest_is_stale(project):
        run_with_concurrent_update_guard(project.manifest_path, _parse, project=project)
