"""Dashboard figures for one wilayah: DTKS by desil and over time, program recipients, field verval
progress, and verval findings per run. Every query is cut to the user's scope (and an optional narrower
wilayah inside it); results are small tables of counts, never people.

Figures of a penetapan (ruta per desil, ruta in DTKS, program recipients) count frozen rows that never
change, so they are kept in `penetapan_figure` per penetapan and wilayah scope: counted for every scope in
one grouped pass when the penetapan is frozen (`siks.programs.stored.store_figures`), or on the first view
of a scope that has none (a penetapan frozen before that existed); later requests read that row. Program
recipients are summed from the stored program lists' per-desa counts. Field verval progress reads the
per-desa counters `field_progress`; the other live figures (findings, PPKS/PSKS, deadlines) are grouped
counts per request.
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from siks.domain import finding_catalog, formats, wilayah
from siks.domain import ppks as ppks_rules
from siks.domain import programs as rules
from siks.domain.cells import safe_row
from siks.errors import Invalid
from siks.penetapan import service as penetapan
from siks.ppks import service as ppks
from siks.programs import stored as stored_lists
from siks.scope import Scope
from siks.store import verval_runs
from siks.store.base import utcnow
from siks.store.models.fieldwork import FieldProgress
from siks.store.models.penetapan import Penetapan, PenetapanFigure, PenetapanHousehold
from siks.store.models.verval import VervalFinding
from siks.usulan import sla

RUNS = 12
TOP_CODES = 6
FIGURE_VERSION = stored_lists.FIGURE_VERSION  # bump there when a stored figure is counted differently


@dataclass
class Series:
    """One figure's data: labels along the x axis, and one or more named value lists."""

    title: str
    labels: list[str]
    values: dict[str, list[float]] = field(default_factory=dict)
    note: str = ""


def scope_for(user, wilayah_code: str | None) -> Scope:
    """The user's scope, or a narrower wilayah inside it (NotFound outside)."""
    scope = Scope.of(user)
    if not wilayah_code:
        return scope
    try:
        code = wilayah.normalize(wilayah_code)
    except ValueError:
        raise Invalid("Kode wilayah tidak valid.") from None
    scope.check(code)
    if wilayah.get(code) is None:
        raise Invalid("Kode wilayah tidak dikenal.")
    return Scope(code)


def latest_penetapan(session: Session, user, scope: Scope) -> Penetapan | None:
    found = [p for p in penetapan.listing(session, user) if scope.overlaps(p.wilayah_code)]
    return found[0] if found else None


def stored_figure(session: Session, p: Penetapan, scope: Scope, name: str, count, basis: str = "") -> dict:
    """The figure `name` of penetapan `p` within `scope`: read when stored, else counted by `count()` and
    stored. Keyed by the scope's code, so a kecamatan operator and a kabupaten one each get their own."""
    basis = f"{FIGURE_VERSION}:{basis}"
    key = scope.code or ""
    row = session.scalar(
        select(PenetapanFigure).where(
            PenetapanFigure.penetapan_id == p.id,
            PenetapanFigure.scope_code == key,
            PenetapanFigure.name == name,
        )
    )
    if row is not None and row.basis == basis:
        return row.data
    data = count()
    try:
        with session.begin_nested():
            if row is None:
                session.add(
                    PenetapanFigure(penetapan_id=p.id, scope_code=key, name=name, basis=basis, data=data)
                )
            else:
                row.basis, row.data, row.created_at = basis, data, utcnow()
    except IntegrityError:  # another request stored the same figure first: the same numbers
        pass
    return data


def _count_desil(session: Session, scope: Scope, p: Penetapan) -> dict:
    rows = session.execute(
        select(PenetapanHousehold.desil, func.count())
        .where(
            PenetapanHousehold.penetapan_id == p.id,
            PenetapanHousehold.included.is_(True),
            scope.where(PenetapanHousehold.desa_code),
        )
        .group_by(PenetapanHousehold.desil)
    )
    return {str(d) if d is not None else "-": n for d, n in rows}


def _count_dtks(session: Session, scope: Scope, p: Penetapan) -> dict:
    n = session.scalar(
        select(func.count())
        .select_from(PenetapanHousehold)
        .where(
            PenetapanHousehold.penetapan_id == p.id,
            PenetapanHousehold.included.is_(True),
            scope.where(PenetapanHousehold.desa_code),
        )
    )
    return {"ruta": n}


def _count_programs(session: Session, user, scope: Scope, p: Penetapan) -> dict:
    """In-quota recipients per shipped program within `scope`, summed from each program's stored list
    (computed first if missing): quotas rank the whole penetapan, so the count within `scope` is the same
    for every viewer whose own scope holds it."""
    labels, values = [], []
    for prog in stored_lists.shipped():
        header = stored_lists.ensure(session, p, prog, getattr(user, "username", str(user)))
        labels.append(prog.name)
        values.append(stored_lists.scope_totals(header.counts, scope)["kuota"])
    return {"labels": labels, "values": values}


def by_desil(session: Session, scope: Scope, p: Penetapan | None, *, stored: bool = True) -> Series:
    counts: dict[str, float] = {}
    if p is not None:
        count = lambda: _count_desil(session, scope, p)  # noqa: E731
        counts = stored_figure(session, p, scope, "desil", count) if stored else count()
    labels = [str(d) for d in range(1, 11) if str(d) in counts] + (["-"] if "-" in counts else [])
    note = f"{p.title}" if p else "Belum ada penetapan."
    return Series("Ruta DTKS per desil", labels, {"Ruta": [counts[x] for x in labels]}, note)


def dtks_over_time(session: Session, user, scope: Scope, *, stored: bool = True) -> Series:
    items = [p for p in penetapan.listing(session, user) if scope.overlaps(p.wilayah_code)][:RUNS]
    items.reverse()
    labels, values = [], []
    for p in items:
        count = lambda p=p: _count_dtks(session, scope, p)  # noqa: E731
        labels.append(p.periode)
        values.append((stored_figure(session, p, scope, "dtks", count) if stored else count())["ruta"])
    return Series("Ruta DTKS per penetapan", labels, {"Ruta DTKS": values})


def by_program(session: Session, user, scope: Scope, p: Penetapan | None, *, stored: bool = True) -> Series:
    """Recipients of each shipped program in the latest penetapan (in quota)."""
    data = {"labels": [], "values": []}
    if p is not None:
        count = lambda: _count_programs(session, user, scope, p)  # noqa: E731
        data = (
            stored_figure(session, p, scope, "program", count, rules.definitions_key()) if stored else count()
        )
    return Series(
        "Penerima program",
        list(data["labels"]),
        {"Penerima": list(data["values"])},
        p.title if p else "Belum ada penetapan.",
    )


def verval_progress(session: Session, scope: Scope) -> Series:
    """Field verval tasks per kecamatan (or desa, for a kecamatan scope): selesai vs belum.

    Read from the per-desa counters the fieldwork service keeps (`field_progress`, 0006_web_speed): joining
    every task to its household and grouping them took 200–350 ms for a kabupaten, per view."""
    depth = 4 if scope.code and wilayah.level(scope.code) >= 3 else 3
    rows = session.execute(
        select(FieldProgress.desa_code, FieldProgress.done, FieldProgress.total).where(
            scope.where(FieldProgress.desa_code), FieldProgress.total > 0
        )
    )
    done: Counter[str] = Counter()
    open_: Counter[str] = Counter()
    for desa, n_done, total in rows:
        key = ".".join((desa or "-").split(".")[:depth])
        done[key] += n_done or 0
        open_[key] += total - (n_done or 0)
    keys = sorted(done.keys() | open_.keys())
    labels = [(wilayah.get(k).name if wilayah.get(k) else k) for k in keys]
    return Series("Kemajuan verval lapangan", labels, {"Selesai": [done[k] for k in keys],
                                                         "Belum": [open_[k] for k in keys]})  # fmt: skip


def _finding_scope(scope: Scope):
    if scope.is_national:
        return None
    dotted, digits = scope.code, scope.code.replace(".", "")
    return or_(VervalFinding.kode_desa.like(dotted + "%"), VervalFinding.kode_desa.like(digits + "%"))


def findings_over_time(session: Session, scope: Scope) -> Series:
    """Findings per verval run (the last RUNS), for the most frequent codes."""
    runs = verval_runs.finished_runs(session, RUNS)
    runs.reverse()
    per_run: dict[str, Counter[str]] = defaultdict(Counter)
    if runs:
        stmt = (
            select(VervalFinding.run_id, VervalFinding.code, func.count())
            .where(VervalFinding.run_id.in_([r.id for r in runs]))
            .group_by(VervalFinding.run_id, VervalFinding.code)
        )
        cond = _finding_scope(scope)
        if cond is not None:
            stmt = stmt.where(cond)
        for run_id, code, n in session.execute(stmt):
            per_run[run_id][code] += n
    total: Counter[str] = Counter()
    for c in per_run.values():
        total.update(c)
    top = [code for code, _ in total.most_common(TOP_CODES)]
    labels = [formats.tanggal_singkat(r.finished_at) if r.finished_at else r.id for r in runs]
    # The legend and the CSV name each series by its catalog title: people do not read finding codes.
    values = {finding_catalog.title(code): [per_run[r.id][code] for r in runs] for code in top}
    return Series("Temuan kualitas data per verval run", labels, values)


def _depth(scope: Scope) -> int:
    """Break a kabupaten (or wider) down by kecamatan, a kecamatan or desa by desa."""
    return 4 if scope.code and wilayah.level(scope.code) >= 3 else 3


def _area_name(code: str) -> str:
    place = wilayah.get(code)
    return place.name if place else code


def _by_kind(name: str, counts, order, label) -> Series:
    """Counts per kind summed over the areas, in the code list's order, the kinds present only."""
    total: Counter[str] = Counter()
    for c in counts:
        total[c.jenis] += c.count
    kinds = [k for k in order if total[k]]
    return Series(f"{name} menurut jenis", [label(k) for k in kinds], {name: [total[k] for k in kinds]})


def ppks_by_kind(session: Session, user, scope: Scope) -> Series:
    """Open PPKS registrations per kind (today)."""
    counts = ppks.counts(session, user, level=_depth(scope), scope=scope)
    return _by_kind("PPKS", counts, ppks_rules.PPKS_KINDS, ppks_rules.kind_label)


def psks_by_kind(session: Session, user, scope: Scope) -> Series:
    """Active PSKS per kind."""
    counts = ppks.psks_area_counts(session, user, level=_depth(scope), scope=scope)
    return _by_kind("PSKS", counts, ppks_rules.PSKS_KINDS, ppks_rules.psks_label)


def ppks_psks_by_area(session: Session, user, scope: Scope) -> Series:
    """PPKS (open kinds) and active PSKS per kecamatan or desa; a PSKS of a wider wilayah keeps its code."""
    depth = _depth(scope)
    p_count: Counter[str] = Counter()
    s_count: Counter[str] = Counter()
    for c in ppks.counts(session, user, level=depth, scope=scope):
        p_count[c.wilayah_code] += c.count
    for c in ppks.psks_area_counts(session, user, level=depth, scope=scope):
        s_count[c.wilayah_code] += c.count
    keys = sorted(p_count.keys() | s_count.keys())
    return Series(
        "PPKS dan PSKS per wilayah",
        [_area_name(k) for k in keys],
        {"PPKS": [p_count[k] for k in keys], "PSKS": [s_count[k] for k in keys]},
        "PSKS tingkat lebih tinggi tercatat pada wilayah kerjanya.",
    )


def deadlines(session: Session, user, scope: Scope) -> Series:
    """Usul and sanggah waiting for the kabupaten, and those past the 14-day deadline, per area."""
    rows = sla.counts(session, user, depth=_depth(scope), scope=scope)
    return Series(
        f"Usul dan sanggah: batas {sla.SLA_DAYS} hari",
        [r.name for r in rows],
        {"Menunggu kabupaten": [r.waiting for r in rows], "Lewat batas": [r.overdue for r in rows]},
        "sejak diajukan sampai ditindaklanjuti kabupaten",
    )


def figures(session: Session, user, scope: Scope) -> dict[str, Series]:
    p = latest_penetapan(session, user, scope)
    return {
        "desil": by_desil(session, scope, p),
        "dtks": dtks_over_time(session, user, scope),
        "program": by_program(session, user, scope, p),
        "verval": verval_progress(session, scope),
        "temuan": findings_over_time(session, scope),
        "ppks": ppks_by_kind(session, user, scope),
        "psks": psks_by_kind(session, user, scope),
        "ppks_wilayah": ppks_psks_by_area(session, user, scope),
        "batas_waktu": deadlines(session, user, scope),
    }


def kind_tables(session: Session, user, scope: Scope) -> dict[str, list[dict]]:
    """PPKS and PSKS counted by kind and wilayah together (the dashboard's table and JSON)."""
    level = _depth(scope)
    return {
        name: [
            {
                "jenis": c.jenis,
                "label": c.label,
                "wilayah": c.wilayah_code,
                "nama_wilayah": _area_name(c.wilayah_code),
                "jumlah": c.count,
            }
            for c in rows
        ]
        for name, rows in (
            ("ppks", ppks.counts(session, user, level=level, scope=scope)),
            ("psks", ppks.psks_area_counts(session, user, level=level, scope=scope)),
        )
    }


def to_csv(figs: dict[str, Series]) -> str:
    """All figures as one long table: grafik, kategori, seri, nilai."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["grafik", "kategori", "seri", "nilai"])
    for s in figs.values():
        for name, values in s.values.items():
            for label, v in zip(s.labels, values, strict=True):
                w.writerow(safe_row([s.title, label, name, v]))
    return buf.getvalue()
