"""The dbt parse kept per set of --vars: seeded into an invocation, handed back after it."""

from __future__ import annotations

import os
from types import SimpleNamespace

from scv_platform.transform.partial_parse import (
    KEPT_VARIANTS,
    PARTIAL_PARSE_FILE,
    cached_parse_path,
    seed_partial_parse,
    share_partial_parse,
    vars_argument,
)

DAY = '{"min_date": "2025-01-01", "max_date": "2025-01-02"}'


def test_vars_are_read_in_both_spellings():
    assert vars_argument(["build", "--vars", DAY]) == DAY
    assert vars_argument(["build", f"--vars={DAY}", "--select", "x"]) == DAY
    assert vars_argument(["build"]) is None


def test_each_set_of_vars_has_its_own_file_and_none_uses_dbt_parse_s(tmp_path, monkeypatch):
    monkeypatch.delenv("DBT_TARGET_PATH", raising=False)
    plain = cached_parse_path(tmp_path, ["build"])
    day = cached_parse_path(tmp_path, ["build", "--vars", DAY])
    other_day = cached_parse_path(tmp_path, ["build", "--vars", DAY.replace("01-02", "01-03")])
    assert plain == tmp_path / "target" / PARTIAL_PARSE_FILE
    assert len({plain, day, other_day}) == 3
    assert day.parent == plain.parent


def invocation(project, name: str, parse: bytes | None, args: list[str]) -> SimpleNamespace:
    """A finished invocation as share_partial_parse sees it: its folders and dbt command."""
    target = project / "target" / name
    target.mkdir(parents=True)
    if parse is not None:
        (target / PARTIAL_PARSE_FILE).write_bytes(parse)
    command = SimpleNamespace(args=["dbt", *args, "--target", "local"])
    return SimpleNamespace(project_dir=project, target_path=target, process=command)


def test_an_invocation_is_seeded_with_the_parse_of_its_own_vars(tmp_path, monkeypatch):
    monkeypatch.delenv("DBT_TARGET_PATH", raising=False)
    day_args, plain_args = ["build", "--vars", DAY], ["build"]
    share_partial_parse(invocation(tmp_path, "facts-1", b"day parse", day_args))
    share_partial_parse(invocation(tmp_path, "marts-1", b"plain parse", plain_args))

    facts = tmp_path / "target" / "facts-2"
    seed_partial_parse(tmp_path, facts, day_args)
    assert (facts / PARTIAL_PARSE_FILE).read_bytes() == b"day parse"
    marts = tmp_path / "target" / "marts-2"
    seed_partial_parse(tmp_path, marts, plain_args)
    assert (marts / PARTIAL_PARSE_FILE).read_bytes() == b"plain parse"
    # vars never parsed before: nothing seeded (dagster-dbt copies the plain parse)
    unseen = tmp_path / "target" / "facts-3"
    seed_partial_parse(tmp_path, unseen, ["build", "--vars", "{}"])
    assert not (unseen / PARTIAL_PARSE_FILE).exists()
    # an invocation that wrote no parse changes nothing
    share_partial_parse(invocation(tmp_path, "failed", None, day_args))
    assert cached_parse_path(tmp_path, day_args).read_bytes() == b"day parse"


def test_only_the_most_recent_variants_are_kept(tmp_path, monkeypatch):
    monkeypatch.delenv("DBT_TARGET_PATH", raising=False)
    for day in range(1, KEPT_VARIANTS + 3):
        args = ["build", "--vars", f'{{"min_date": "2025-01-{day:02d}"}}']
        share_partial_parse(invocation(tmp_path, f"run-{day}", b"parse", args))
        os.utime(cached_parse_path(tmp_path, args), (day, day))
    kept = sorted((tmp_path / "target").glob("partial_parse.*.msgpack"))
    assert len(kept) == KEPT_VARIANTS
    newest = ["build", "--vars", f'{{"min_date": "2025-01-{KEPT_VARIANTS + 2:02d}"}}']
    oldest = ["build", "--vars", '{"min_date": "2025-01-01"}']
    assert cached_parse_path(tmp_path, newest).exists()
    assert not cached_parse_path(tmp_path, oldest).exists()
