"""The dbt project, in a module of its own (no ``@dbt_assets`` here) so it loads cheaply."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from dagster._utils import run_with_concurrent_update_guard
from dagster_dbt import DbtCliResource, DbtProject

from scv_platform.settings import DBT_PROJECT_DIR, Settings


def dbt_target(settings: Settings) -> str:
    """The dbt target of the environment: ``local`` (DuckDB) or ``prod`` (Snowflake)."""
    return "local" if settings.is_local else "prod"


def dbt_executable() -> str:
    """dbt from this environment, whether or not the virtualenv is on the PATH."""
    beside_python = Path(sys.executable).parent / "dbt"
    return str(beside_python) if beside_python.exists() else (shutil.which("dbt") or "dbt")


def scv_dbt_project(settings: Settings) -> DbtProject:
    return DbtProject(
        project_dir=DBT_PROJECT_DIR,
        profiles_dir=DBT_PROJECT_DIR,
        target=dbt_target(settings),
    )


def dbt_resource(project: DbtProject) -> DbtCliResource:
    return DbtCliResource(
        project_dir=project, target=project.target, dbt_executable=dbt_executable()
    )


def _parse(project: DbtProject) -> None:
    dbt_resource(project).cli(["parse", "--quiet"], target_path=project.target_path).wait()


def ensure_manifest(project: DbtProject, force: bool = False) -> None:
    """Parse the project when no manifest exists (the CLI and tests don't run `dagster dev`).

    `dagster dev` re-parses on every load; ``make`` parses whenever a dbt file changed, so a
    fresh clone never starts without a manifest and a stale one is rebuilt.
    """
    if force or not project.manifest_path.exists() or project.preparer.using_dagster_dev():
        run_with_concurrent_update_guard(project.manifest_path, _parse, project=project)
