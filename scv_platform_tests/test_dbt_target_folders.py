"""Old dbt invocation folders are pruned: the newest are kept, nothing else is touched."""

import os
from pathlib import Path

from scv_platform.transform.target_folders import prune_invocation_folders


def test_only_the_newest_invocation_folders_are_kept(tmp_path: Path):
    target = tmp_path / "target"
    names = [f"scv_dbt_models-{n:07x}-abcdef{n % 10}" for n in range(5)]
    for age, name in enumerate(reversed(names)):  # names[4] is the newest
        folder = target / name
        (folder / "compiled").mkdir(parents=True)
        os.utime(folder, (1_000_000 - age, 1_000_000 - age))
    for other in ("prod", "compiled", "not-an-invocation"):
        (target / other).mkdir()
    (target / "manifest.json").write_text("{}")

    removed = prune_invocation_folders(target, keep=2)

    assert sorted(p.name for p in removed) == sorted(names[:3])
    assert sorted(p.name for p in target.iterdir()) == sorted(
        [*names[3:], "prod", "compiled", "not-an-invocation", "manifest.json"]
    )
    assert prune_invocation_folders(tmp_path / "absent") == []
