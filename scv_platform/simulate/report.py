"""What a simulation run wrote."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date


@dataclass
class SimulationReport:
    """Files and rows per landing entity (e.g. ``cards/transactions``) and the date range."""

    start: date
    end: date
    seed: int
    customers: int
    entities: dict[str, dict[str, int]] = field(default_factory=dict)
    truth_files: list[str] = field(default_factory=list)
    elapsed_seconds: float = 0.0  # wall time; not part of the deterministic output

    @property
    def total_rows(self) -> int:
        return sum(e["rows"] for e in self.entities.values())

    @property
    def total_files(self) -> int:
        return sum(e["files"] for e in self.entities.values())

    def summary_lines(self) -> list[str]:
        lines = [
            f"simulated {self.customers:,} customers from {self.start} to {self.end} "
            f"(seed {self.seed})",
        ]
        width = max((len(k) for k in self.entities), default=0)
        for entity, counts in self.entities.items():
            lines.append(
                f"  {entity:<{width}}  {counts['files']:>5,} files  {counts['rows']:>12,} rows"
            )
        lines.append(
            f"  {'total':<{width}}  {self.total_files:>5,} files  {self.total_rows:>12,} rows"
        )
        if self.elapsed_seconds:
            lines.append(f"  in {self.elapsed_seconds:.1f} s")
        return lines

    def to_dict(self) -> dict[str, object]:
        """JSON-ready and deterministic (no wall time)."""
        data = asdict(self)
        data.pop("elapsed_seconds")
        data["start"], data["end"] = self.start.isoformat(), self.end.isoformat()
        return data
