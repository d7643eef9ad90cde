"""dbt run inside the step's own process (dbt's programmatic API), not as a subprocess.

A dbt subprocess costs seconds before its first model: it imports dbt (about 2.4 s) and
loads its saved parse, and it parses the whole project again (about 5 s) whenever its
``--vars`` differ from those of the saved parse, as they do for every new day partition.
Here dbt is imported once per process; each invocation first parses the project without
vars (partial parsing: about 0.3 s once warm; no YAML config of the project reads a var,
see the macro ``with_partition_window``) and then runs its command on that manifest, its
vars taking effect as the nodes compile.

:class:`DbtThread` stands in for the ``subprocess.Popen`` that dagster-dbt's
``DbtCliInvocation`` reads: dbt runs on a worker thread and its structured log events
(info level and above, the JSON lines dbt prints with ``--log-format json``) are handed
over as the lines of ``stdout``. Exit codes are dbt's: 0 success, 1 a model or test
failed, 2 dbt itself failed.
"""

from __future__ import annotations

import json
import os
import queue
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import chdir
from pathlib import Path
from typing import Any

from scv_platform.transform.partial_parse import seed_partial_parse, share_partial_parse

PROFILE_OPTIONS = ("--target", "-t", "--profile")
SUCCESS, FAILED, ERROR = 0, 1, 2
RUN_RESULTS = "run_results.json"
# dbt keeps its flags, adapters and event handlers in globals: one invocation at a time
_DBT_LOCK = threading.Lock()


def profile_options(command: Sequence[str]) -> list[str]:
    """The options of a dbt command that choose its profile and target (``--target prod``),
    which the parse before it must share."""
    options: list[str] = []
    for index, arg in enumerate(command):
        if arg in PROFILE_OPTIONS and index + 1 < len(command):
            options += [arg, command[index + 1]]
        elif "=" in arg and arg.split("=", 1)[0] in PROFILE_OPTIONS:
            options.append(arg)
    return options


def subcommand(command: Sequence[str]) -> str | None:
    """The dbt command of an argument list (``build`` of ``--quiet build --select x``)."""
    return next((arg for arg in command if not arg.startswith("-")), None)


def close_duckdb_database() -> None:
    """Close the database dbt-duckdb keeps open between the invocations of a process (a dbt
    process would have exited), so that the platform's own connections can open the file."""
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # no DuckDB adapter installed: nothing is open
        return
    with DuckDBConnectionManager._LOCK:
        environment, DuckDBConnectionManager._ENV = DuckDBConnectionManager._ENV, None
    if environment is not None:
        environment.close()


class _EventLines:
    """The invocation's event lines (bytes, as from a pipe) until dbt has finished."""

    def __init__(self) -> None:
        self._lines: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self.closed = False

    def put(self, line: bytes | None) -> None:
        self._lines.put(line)

    def __iter__(self) -> Iterator[bytes]:
        while (line := self._lines.get()) is not None:
            yield line

    def __enter__(self) -> _EventLines:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.closed = True


class DbtThread:
    """A dbt command on a worker thread, with the part of ``subprocess.Popen`` dagster-dbt
    uses (``args``, ``stdout``, ``wait``, ``poll``, ``returncode``, ``send_signal``).

    ``flags`` are dbtRunner keywords: ``project_dir`` (also the working directory while
    dbt runs) and ``target_path`` at least (the invocation's own folder, seeded with the
    project's saved parse and handing its parse back), ``log_path``, ``profiles_dir``,
    ``indirect_selection``.
    """

    def __init__(self, args: Sequence[str], flags: Mapping[str, Any]) -> None:
        self.args = list(args)
        self.stdout = _EventLines()
        self.returncode: int | None = None
        # events reach the invocation through the callback (dagster-dbt echoes them)
        self._flags = {**flags, "log_level": "none", "use_colors": False,
                       "send_anonymous_usage_stats": False}  # fmt: skip
        self._reported_error = False
        self._thread = threading.Thread(target=self._run, name="dbt", daemon=True)
        self._thread.start()

    def wait(self, timeout: float | None = None) -> int | None:
        self._thread.join(timeout)
        return self.returncode

    def poll(self) -> int | None:
        return self.returncode

    def send_signal(self, _signal: int) -> None:
        """Cancel the queries dbt has running, as dbt does on an interrupt; dbt then ends
        its remaining nodes as errors."""
        from dbt.adapters.factory import FACTORY

        for adapter in list(FACTORY.adapters.values()):
            adapter.cancel_open_connections()

    def _emit(self, message: Any) -> None:
        from dbt_common.events.functions import msg_to_json

        if message.info.level != "debug":
            self._reported_error |= message.info.level == "error"
            self.stdout.put(msg_to_json(message).encode("utf-8"))

    def _emit_error(self, text: str) -> None:
        line = {"info": {"level": "error", "msg": text, "name": "MainEncounteredError"},
                "data": {}}  # fmt: skip
        self.stdout.put(json.dumps(line).encode("utf-8"))

    def _run(self) -> None:
        project_dir = Path(self._flags["project_dir"])
        target_path = Path(self._flags["target_path"])
        try:
            seed_partial_parse(project_dir, target_path)
            # dbt resolves the profile's relative paths against the working directory: the
            # project folder, as for a dbt process started there
            with _DBT_LOCK, chdir(project_dir):
                try:
                    result = self._invoke(self.args[1:])  # args[0] names the dbt executable
                finally:
                    close_duckdb_database()
            share_partial_parse(project_dir, target_path)
            self.returncode = SUCCESS if result.success else FAILED
            if result.exception is not None:
                self.returncode = ERROR
                if not self._reported_error:  # e.g. a usage error, before dbt logs anything
                    self._emit_error(f"dbt failed: {result.exception}")
        except BaseException as exc:  # reported like a failure of dbt itself
            self.returncode = ERROR
            self._emit_error(f"dbt failed: {exc!r}")
        finally:
            self.stdout.put(None)

    def _invoke(self, command: list[str]) -> Any:
        """Parse without vars (unless parsing is the command, or this process parsed the
        same project already), then run the command on that manifest."""
        from dbt.cli.main import dbtRunner

        name = subcommand(command)
        if name == "parse":
            return dbtRunner(callbacks=[self._emit]).invoke(command, **self._flags)
        options = profile_options(command)
        key = parse_key(Path(self._flags["project_dir"]), options, self._flags)
        manifest = _PARSED.get(key)
        if manifest is None:
            parse = ["parse", "--no-write-json", *options]
            parsed = dbtRunner(callbacks=[self._emit]).invoke(parse, **self._flags)
            if not parsed.success:
                return parsed
            manifest = parsed.result
            _PARSED.clear()  # one project per process: keep the latest parse only
            _PARSED[key] = manifest
        runner = dbtRunner(manifest=manifest, callbacks=[self._emit])
        if name != "build":
            return runner.invoke(command, **self._flags)
        # a build writes its run_results.json only: the manifest it would write with it
        # (0.2 to 0.4 s for every invocation) is the parse's, which the project keeps
        result = runner.invoke(command, **{**self._flags, "write_json": False})
        if hasattr(result.result, "write"):
            result.result.write(str(Path(self._flags["target_path"]) / RUN_RESULTS))
        return result


# The manifest of the last parse in this process, by what it depends on (dbt's documented
# reuse of a manifest across invocations): a daily run's later dbt steps skip the parse.
_PARSED: dict[tuple, Any] = {}
PARSE_INPUTS = ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds", "snapshots",
                "tests")  # fmt: skip


def parse_key(project_dir: Path, options: Sequence[str], flags: Mapping[str, Any]) -> tuple:
    """What a parse of the project depends on: its files (paths, sizes, modification times),
    the profile and target, and the environment (``env_var`` in YAML and profiles)."""
    files = []
    for name in PARSE_INPUTS:
        path = project_dir / name
        for file in sorted(path.rglob("*")) if path.is_dir() else [path]:
            if file.is_file():
                stat = file.stat()
                files.append((str(file), stat.st_size, stat.st_mtime_ns))
    return (
        str(project_dir),
        tuple(options),
        str(flags.get("profiles_dir")),
        tuple(sorted(os.environ.items())),
        tuple(files),
    )
