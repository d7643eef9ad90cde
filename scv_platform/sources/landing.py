"""Finding landing files of a source and fingerprinting their content."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from scv_platform.sources.specs import SourceSpec


@dataclass(frozen=True)
class LandingFile:
    path: Path
    relative: str  # path relative to the landing root, as recorded in bronze
    file_date: date | None
    size: int

    def sha256(self) -> str:
        with self.path.open("rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()


@dataclass(frozen=True)
class LandingListing:
    folder: Path
    exists: bool
    files: tuple[LandingFile, ...]
    ignored: tuple[str, ...]  # names that do not follow the contract's file pattern


def list_landing_files(
    spec: SourceSpec,
    landing_dir: Path,
    start: date | None = None,
    end: date | None = None,
) -> LandingListing:
    """Contract-conforming files of ``spec``; daily files filtered to ``start <= day < end``."""
    folder = landing_dir / spec.folder
    if not folder.is_dir():
        return LandingListing(folder, False, (), ())
    files: list[LandingFile] = []
    ignored: list[str] = []
    pattern = spec.regex
    for entry in sorted(folder.iterdir()):
        if not entry.is_file() or entry.name.startswith("."):
            continue
        if not pattern.fullmatch(entry.name):
            ignored.append(entry.name)
            continue
        day = spec.file_date(entry.name)
        if spec.daily:
            if day is None:
                ignored.append(entry.name)
                continue
            if (start and day < start) or (end and day >= end):
                continue
        files.append(
            LandingFile(
                path=entry,
                relative=entry.relative_to(landing_dir).as_posix(),
                file_date=day,
                size=entry.stat().st_size,
            )
        )
    files.sort(key=lambda f: (f.file_date or date.min, f.relative))
    return LandingListing(folder, True, tuple(files), tuple(ignored))


def last_day_with_data(specs: tuple[SourceSpec, ...], landing_dir: Path) -> date | None:
    days = [
        f.file_date
        for spec in specs
        if spec.daily
        for f in list_landing_files(spec, landing_dir).files
        if f.file_date
    ]
    return max(days) if days else None
