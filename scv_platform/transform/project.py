"""The dbt project, in a module of its own (no ``@dbt_assets`` here) so it loads cheaply."""

from __future__ import annotations

import importlib.metadata
import shutil
import sys
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, OpExecutionContext
from dagster._utils import run_with_concurrent_update_guard
from dagster_dbt import DbtCliInvocation, DbtCliResource, DbtProject
from packaging import version

from scv_platform.settings import DBT_PROJECT_DIR, Settings
from scv_platform.transform.partial_parse import seed_partial_parse

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


class ScvDbtCliResource(DbtCliResource):
    """dagster-dbt's resource without two per-step costs this platform does not need.

    - The dbt version comes from the installed dbt-core package when the executable is the
      one of this environment, instead of a ``dbt --version`` subprocess per run (seconds).
    - No in-process dbt adapter is built before each invocation (about 2 s a step): dagster-dbt
      uses it only to fetch column metadata, which the platform does not ask for (row counts
      are taken through the warehouse gateway).
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        if Path(self.dbt_executable) == Path(sys.executable).parent / "dbt":
            return version.parse(importlib.metadata.version("dbt-core"))
        return super()._cli_version

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:  # type: ignore[override]
        return None

    def cli(  # type: ignore[override]
        self,
        args: Sequence[str],
        *,
        context: OpExecutionContext | AssetExecutionContext | None = None,
        target_path: Path | None = None,
        **kwargs: Any,
    ) -> DbtCliInvocation:
        """dagster-dbt's ``cli``, its target folder seeded with the parse made with the same
        ``--vars`` (see :mod:`scv_platform.transform.partial_parse`)."""
        target_path = target_path or self._get_unique_target_path(context=context)
        project_dir = Path(self.project_dir)
        absolute = target_path if target_path.is_absolute() else project_dir / target_path
        seed_partial_parse(project_dir, absolute, args)
        return super().cli(args, context=context, target_path=target_path, **kwargs)


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
