"""The fairness chart of a simulation (issue #18.5): inclusion and exclusion error per kind of household.

Why a chart: a rule change that looks neutral in total can drop households headed by women, or with a
disabled member, a lansia or a balita, more than others; the bars put the groups side by side. Errors are
measured against the simulation's truth where it has one (field verval or a truth file), otherwise they are
the expected errors from each ruta's PMT prediction interval (docs/pmt-eligibility.md §7.4).
"""

from __future__ import annotations

from siks.reports.dashboard import Series

HOUSEHOLD_GROUPS = ("kepala_ruta", "disabilitas", "lansia", "balita")


def measured(row: dict) -> bool:
    """True when the row's errors come from a truth, False when they are expected errors."""
    return bool(row.get("truth"))


def rates(row: dict) -> tuple[float | None, float | None]:
    """(exclusion, inclusion) error rate of one group, truth-based when there is a truth."""
    if measured(row):
        return row.get("tingkat_exclusion_error"), row.get("tingkat_inclusion_error")
    return row.get("harapan_tingkat_exclusion_error"), row.get("harapan_tingkat_inclusion_error")


def series(totals: dict, dimensions: tuple[str, ...] = HOUSEHOLD_GROUPS) -> Series:
    """Bars per group (in %), exclusion next to inclusion error; empty when no group has a rate."""
    groups = totals.get("kelompok") or {}
    rows = [r for d in dimensions for r in groups.get(d, [])]
    any_truth = any(measured(r) for r in rows)
    basis = "terhadap kebenaran" if any_truth else "harapan dari rentang desil PMT"
    labels, exclusion, inclusion = [], [], []
    for r in rows:
        ex, inc = rates(r)
        if ex is None and inc is None:
            continue
        labels.append(r["nama"])
        exclusion.append(round((ex or 0.0) * 100, 1))
        inclusion.append(round((inc or 0.0) * 100, 1))
    if not labels:
        return Series(f"Galat per kelompok ruta ({basis})", [])
    return Series(
        f"Galat per kelompok ruta, % ({basis})",
        labels,
        {"Exclusion error (%)": exclusion, "Inclusion error (%)": inclusion},
    )
