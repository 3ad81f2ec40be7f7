"""Reading households for fitting and explaining: an import-template CSV plus the generator's truth.

Why from the files and not the store: a model is fitted once, off-line, on households whose consumption
is observed (Susenas in real life, `siks synth`'s `truth/households.csv` here); the rows are read as the
template writes them and the tolerant readers of `pmt_features` cope with what a spreadsheet does to codes.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import math
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from siks.domain.pmt import REGION_LEVELS
from siks.domain.pmt_features import household_features, present_members
from siks.domain.pmt_fit import Sample

HOUSEHOLD_KEY = "id_ruta"


@dataclass
class Households:
    """Template rows grouped by ruta: the household's answers (first row) and its member rows."""

    rows: dict[str, tuple[dict[str, str], list[dict[str, str]]]]

    def get(self, id_ruta: str) -> tuple[dict[str, str], list[dict[str, str]]] | None:
        return self.rows.get(id_ruta)


def read_template_csv(path: Path) -> Households:
    rows: dict[str, tuple[dict[str, str], list[dict[str, str]]]] = {}
    grouped: dict[str, list[dict[str, str]]] = defaultdict(list)
    with open(path, newline="", encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            key = (row.get(HOUSEHOLD_KEY) or "").strip()
            if key:
                grouped[key].append({k: (v.strip() if isinstance(v, str) else v) for k, v in row.items()})
    for key, members in grouped.items():
        rows[key] = (members[0], members)
    return Households(rows)


def read_truth(path: Path) -> dict[str, dict[str, str]]:
    with open(path, newline="", encoding="utf-8-sig") as f:
        return {r["id_ruta"]: r for r in csv.DictReader(f)}


def manifest(directory: Path) -> dict[str, object]:
    path = directory / "manifest.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def reference_date(directory: Path) -> dt.date:
    """The generator's reference date (ages are computed on it), else today."""
    info = manifest(directory)
    params = info.get("parameters") if isinstance(info.get("parameters"), dict) else info
    value = params.get("reference_date") if isinstance(params, dict) else None
    return dt.date.fromisoformat(str(value)) if value else dt.date.today()


def region_key(kode_desa: object, level: str = "kecamatan") -> str | None:
    digits = "".join(ch for ch in str(kode_desa or "") if ch.isdigit())
    width = REGION_LEVELS[level]
    return digits[:width] if len(digits) >= width else None


def samples(
    households: Households,
    truth: dict[str, dict[str, str]],
    as_of: dt.date,
    *,
    region_level: str = "kecamatan",
) -> list[Sample]:
    """One Sample per ruta that has observed consumption > 0 and at least one ART living there."""
    out: list[Sample] = []
    for id_ruta, t in sorted(truth.items()):
        found = households.get(id_ruta)
        try:
            consumption = float(t.get("consumption_per_capita") or "nan")
        except ValueError:
            continue
        if found is None or not consumption > 0 or not math.isfinite(consumption):
            continue
        household, members = found
        if not present_members(members):
            continue
        desil = t.get("desil")
        out.append(
            Sample(
                features=household_features(household, members, as_of),
                region=region_key(household.get("kode_desa"), region_level),
                log_consumption=math.log(consumption),
                true_desil=int(desil) if desil and desil.isdigit() else None,
            )
        )
    return out


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
