"""Dashboard charts as SVG, drawn by matplotlib on the server (no JavaScript on the page).

Bars for categories, lines for series over time; several series become grouped bars or several lines.
The Agg backend is forced so this works on a server without a display.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402 - after choosing the backend

from siks.reports.dashboard import Series  # noqa: E402

COLORS = ("#0b5d7a", "#d98e04", "#2e7d32", "#b23b3b", "#6a4c93", "#5f6b7a")
LINE_CHARTS = frozenset({"dtks", "temuan"})
FRACTION_CHARTS = frozenset({"keadilan"})  # percentages: ticks need not be whole numbers


def svg(name: str, s: Series) -> bytes:
    """One figure as an SVG document (an empty figure says there is no data yet)."""
    fig = Figure(figsize=(6.4, 3.4), dpi=100)
    ax = fig.subplots()
    ax.set_title(s.title, fontsize=11, loc="left")
    if not s.labels or not s.values:
        ax.text(0.5, 0.5, "Belum ada data", ha="center", va="center", transform=ax.transAxes, color="#5f6b7a")
        ax.set_axis_off()
    elif name in LINE_CHARTS:
        for i, (label, values) in enumerate(s.values.items()):
            ax.plot(s.labels, values, marker="o", color=COLORS[i % len(COLORS)], label=label)
    else:
        width = 0.8 / max(len(s.values), 1)
        positions = range(len(s.labels))
        for i, (label, values) in enumerate(s.values.items()):
            ax.bar([x + i * width for x in positions], values, width=width, color=COLORS[i % len(COLORS)],
                   label=label)  # fmt: skip
        ax.set_xticks([x + width * (len(s.values) - 1) / 2 for x in positions], s.labels)
    if s.labels and s.values:
        ax.spines[["top", "right"]].set_visible(False)
        ax.tick_params(axis="x", labelrotation=30 if len(s.labels) > 6 else 0, labelsize=8)
        if name not in FRACTION_CHARTS:
            ax.yaxis.get_major_locator().set_params(integer=True)
        if len(s.values) > 1:
            ax.legend(fontsize=8, frameon=False)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    return buf.getvalue()
