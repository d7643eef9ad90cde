"""Human-readable explanations of the model: the m/u table and a per-field waterfall chart."""

from __future__ import annotations

import hashlib
import io

import pandas as pd

from scv_platform.identity.clustering import ACCEPTED
from scv_platform.identity.tables import FIELD_NAMES
from scv_platform.markdown import markdown_image

POSITIVE, NEGATIVE, NEUTRAL = "#2e7d32", "#c62828", "#607d8b"


def _number(value: object, digits: int) -> str:
    if value is None or pd.isna(value):
        return ""
    return f"{float(value):.{digits}g}"


def parameters_markdown(parameters: pd.DataFrame) -> str:
    """The trained m and u probability and match weight of every comparison level."""
    if parameters.empty:
        return "No model was trained (fewer than two identities)."
    lines = [
        "| comparison | level | m | u | match weight (log2 m/u) |",
        "|---|---|---|---|---|",
    ]
    for row in parameters.itertuples(index=False):
        level = str(row.level).replace("|", "/")
        lines.append(
            f"| {row.comparison} | {level} | {_number(row.m_probability, 3)} | "
            f"{_number(row.u_probability, 3)} | {_number(row.match_weight, 3)} |"
        )
    return "\n".join(lines)


def sample_link(explanations: pd.DataFrame) -> pd.Series | None:
    """The accepted probabilistic link closest to the threshold (the most instructive one)."""
    accepted = explanations[explanations["status"] == ACCEPTED]
    if accepted.empty:
        return None
    ordered = accepted.sort_values(["match_probability", "unique_id_l", "unique_id_r"])
    return ordered.iloc[0]


def waterfall_png(link: pd.Series) -> bytes:
    """A waterfall of match weights: the prior, each field's weight, and the total."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # loads only to draw
    from matplotlib.figure import Figure

    labels = ["prior", *FIELD_NAMES, "total"]
    steps = [float(link["prior_match_weight"])] + [float(link[f"mw_{n}"]) for n in FIELD_NAMES]
    figure = Figure(figsize=(8, 4.2), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    running = 0.0
    for i, step in enumerate(steps):
        start = 0.0 if i == 0 else running
        colour = NEUTRAL if i == 0 else (POSITIVE if step >= 0 else NEGATIVE)
        axes.bar(i, step, bottom=start, color=colour, edgecolor="black", linewidth=0.4)
        top = max(start, start + step)
        axes.annotate(f"{step:+.1f}", (i, top), ha="center", va="bottom", fontsize=8)
        running = start + step
    total = float(link["match_weight"])
    axes.bar(len(labels) - 1, total, color=NEUTRAL, edgecolor="black", linewidth=0.4)
    axes.annotate(
        f"{total:+.1f}", (len(labels) - 1, max(total, 0.0)), ha="center", va="bottom", fontsize=8
    )
    axes.margins(y=0.12)
    axes.axhline(0, color="black", linewidth=0.6)
    axes.set_xticks(range(len(labels)), labels, rotation=30, ha="right", fontsize=8)
    axes.set_ylabel("match weight (log2 Bayes factor)")
    axes.set_title(
        f"{link['source_system_l']}:{link['source_record_id_l']} vs "
        f"{link['source_system_r']}:{link['source_record_id_r']}\n"
        f"match probability {float(link['match_probability']):.4f}",
        fontsize=9,
    )
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def link_key(link: pd.Series | None) -> str:
    """What the waterfall of ``link`` shows (ids, weights, probability), as a short digest."""
    if link is None:
        return "none"
    drawn = [
        link["source_system_l"], link["source_record_id_l"], link["source_system_r"],
        link["source_record_id_r"], link["prior_match_weight"], link["match_weight"],
        link["match_probability"], *(link[f"mw_{name}"] for name in FIELD_NAMES),
    ]  # fmt: skip
    return hashlib.sha256(repr([str(value) for value in drawn]).encode()).hexdigest()[:16]


def waterfall_markdown(
    explanations: pd.DataFrame, previous: tuple[str, str] | None = None
) -> tuple[str, str]:
    """(key, Markdown) of the sample link's explanation: an inline PNG waterfall, or a note
    if there is none. ``previous`` (key, Markdown) of an earlier run is returned as it is
    when it shows the same link and weights: the chart is drawn only when it changes."""
    link = sample_link(explanations)
    key = link_key(link)
    if previous is not None and previous[0] == key:
        return previous
    if link is None:
        return key, "No probabilistic link was accepted in this run: nothing to explain."
    caption = (
        "Per-field match weights of the accepted Splink link closest to the threshold. "
        "Weights add up from the prior to the total; probability = 1 / (1 + 2^-total)."
    )
    return key, markdown_image(waterfall_png(link), "match weight waterfall", caption)
