"""How template columns map onto the registry's entities, and a validated file as entity tables.

One row per anggota goes in; out come one row per ruta (household + its assessment), per keluarga (family
+ KK) and per anggota (member + answers), still columnar. The answers documents are assembled from
per-distinct-value JSON pieces, so a million members never become a million Python dicts.

Where keluarga-level assessment columns (tanggal_pendataan, petugas) differ between the families of one
ruta, the assessment keeps each family's values under `_keluarga` (keyed by id_keluarga); otherwise the
ruta's value is `assessed_on` / `assessed_by` and nothing else is stored.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from siks.domain import template as T
from siks.registry.validation import ColumnValues, Validated, is_invalid, json_value
from siks.store.answers import decode, layout_for, to_code

# template column → column of `household`
HOUSEHOLD_COLUMNS = {
    "id_ruta": "ref",
    "kode_desa": "desa_code",
    "dusun": "dusun",
    "rw": "rw",
    "rt": "rt",
    "alamat": "alamat",
}
# template column → column of `member`
MEMBER_COLUMNS = {
    "no_urut": "no_urut",
    "nama": "nama",
    "nik": "nik",
    "jenis_kelamin": "sex",
    "tempat_lahir": "tempat_lahir",
    "tanggal_lahir": "tanggal_lahir",
    "status_kawin": "status_kawin",
    "hubungan_kk": "hubungan_kk",
    "keberadaan": "keberadaan",
}
FAMILY_COLUMNS = ("id_keluarga", "no_kk")
# template column → column of `assessment`
ASSESSMENT_COLUMNS = {"instrumen": "instrument", "tanggal_pendataan": "assessed_on", "petugas": "assessed_by"}
PER_FAMILY_KEY = "_keluarga"


def household_answer_keys(instrument: str) -> list[str]:
    """Ruta-level template columns stored in `assessment.answers` (housing, assets, livestock, …)."""
    return [
        c.key
        for c in T.columns_for(instrument)
        if c.level == "ruta" and c.key not in HOUSEHOLD_COLUMNS and c.key not in ASSESSMENT_COLUMNS
    ]


def per_family_keys(instrument: str) -> list[str]:
    """Keluarga-level columns kept on the assessment (when the date or officer differ per family)."""
    return [c.key for c in T.columns_for(instrument) if c.level == "keluarga" and c.key not in FAMILY_COLUMNS]


def member_answer_keys(instrument: str) -> list[str]:
    """Anggota-level template columns stored in `assessment_member.answers` (education, work, health, …)."""
    return [c.key for c in T.columns_for(instrument) if c.level == "anggota" and c.key not in MEMBER_COLUMNS]


@dataclass
class Plan:
    """A validated file as entity tables, in file order (the first row of a ruta/keluarga represents it).

    The answers documents are built on first use (the loader builds them while earlier tables are written).
    """

    instrument: str
    households: pa.Table  # ref, desa_code, dusun, rw, rt, alamat, instrument, assessed_on, assessed_by
    families: pa.Table  # ref, household_ref, kk_number
    members: pa.Table  # ref, family_ref, household_ref, no_urut … keberadaan, row_number
    validated: Validated
    household_rows: np.ndarray

    @functools.cached_property
    def _household_answers(self) -> pa.Array:
        v = self.validated
        answers = answers_json(v.columns, household_answer_keys(v.instrument), self.household_rows)
        return _with_family_values(v, answers, self.household_rows)

    @functools.cached_property
    def _member_answers(self) -> pa.Array:
        v = self.validated
        return answers_json(v.columns, member_answer_keys(v.instrument), np.arange(v.n_rows))

    def household_answers_json(self) -> pa.Array:
        """One compact answers document per household (siks.store.answers)."""
        return self._household_answers

    def member_answers_json(self) -> pa.Array:
        """One compact answers document per member row."""
        return self._member_answers

    def household_answers(self, i: int) -> dict:
        return decode(self._household_answers[i].as_py())


def _first_rows(arr: pa.Array) -> np.ndarray:
    """Index of the first row of each distinct value, in file order."""
    codes = pc.dictionary_encode(arr).indices.to_numpy(zero_copy_only=False)
    _, first = np.unique(codes, return_index=True)
    return np.sort(first)


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _per_distinct(column: ColumnValues, rows: np.ndarray, render) -> pa.Array:
    """`render(value)` for the given rows, computed once per distinct value of the column."""
    if column.uniques is not None:
        texts = [render(None if v is None or is_invalid(v) else v) for v in column.uniques]
        return pa.array(texts, pa.string()).take(pa.array(column.indices[rows]))
    enc = pc.dictionary_encode(column.arrow.take(pa.array(rows)))
    texts = [render(v) for v in enc.dictionary.to_pylist()]
    out = pa.array(texts, pa.string()).take(enc.indices)
    empty = render(None)
    return out if empty is None else pc.fill_null(out, empty)


def _code_text(column: ColumnValues, rows: np.ndarray) -> pa.Array:
    """The form's code of each cell as JSON ("2", "5", "null"): one element of an answers document."""
    return _per_distinct(column, rows, lambda v: "null" if v is None else _dumps(to_code(column.field, v)))


def _fragment(column: ColumnValues, rows: np.ndarray) -> pa.Array:
    """`"key":<json>` (null when empty): a key outside the layout, kept in the document's `x`."""
    prefix = _dumps(column.field.key) + ":"
    return _per_distinct(column, rows, lambda v: None if v is None else prefix + _dumps(json_value(v)))


def _wrap(before: str, body: pa.Array, after: str) -> pa.Array:
    return pc.binary_join_element_wise(pa.scalar(before), body, pa.scalar(after), "")


def answers_json(cols: dict[str, ColumnValues], keys: list[str], rows: np.ndarray) -> pa.Array:
    """One compact answers document per selected row (siks.store.answers): `{"k": layout, "v": [codes]}`.

    Keys of `keys` outside the layout (a template column added after the layout was frozen) go to `x`.
    """
    n = len(rows)
    if n == 0:
        return pa.array([], pa.string())
    layout = layout_for(keys)
    listed = set(layout.keys) if layout else set()
    extra = [k for k in keys if k not in listed]
    body = None
    if extra:
        parts = [_fragment(cols[k], rows) for k in extra]
        body = pc.fill_null(pc.binary_join_element_wise(*parts, ",", null_handling="skip"), "")
    if layout is None:  # no layout holds these keys: a plain object, as siks.store.answers stores it
        return _wrap("{", body, "}") if body is not None else pa.array(["{}"] * n, pa.string())
    nulls = pa.array(["null"] * n, pa.string())
    codes = [_code_text(cols[k], rows) if k in cols else nulls for k in layout.keys]
    doc = _wrap(f'{{"k":"{layout.id}","v":[', pc.binary_join_element_wise(*codes, ","), "]")
    if body is not None:
        doc = pc.binary_join_element_wise(
            doc, pc.if_else(pc.equal(body, ""), pa.scalar(""), _wrap(',"x":{', body, "}")), ""
        )
    return _wrap("", doc, "}")


def _column_or_null(cols: dict[str, ColumnValues], key: str, n: int) -> pa.Array:
    """A column the instrument lacks (PBDT has no keberadaan) is empty for every member."""
    return cols[key].arrow if key in cols else pa.nulls(n, pa.int64())


def build_plan(v: Validated) -> Plan:
    """Entity tables from a validated file (call only when it has no errors)."""
    cols = v.columns
    ruta, kel = cols["id_ruta"].arrow, cols["id_keluarga"].arrow
    no_urut = cols["no_urut"].arrow
    member_ref = pc.binary_join_element_wise(kel, pc.cast(no_urut, pa.string()), "-")

    h_rows = _first_rows(ruta)
    take_h = pa.array(h_rows)
    households = {db: cols[key].arrow.take(take_h) for key, db in HOUSEHOLD_COLUMNS.items()}
    for key, db in ASSESSMENT_COLUMNS.items():
        households[db] = cols[key].arrow.take(take_h)

    f_rows = _first_rows(kel)
    take_f = pa.array(f_rows)
    families = {
        "ref": kel.take(take_f),
        "household_ref": ruta.take(take_f),
        "kk_number": cols["no_kk"].arrow.take(take_f),
    }

    members = {"ref": member_ref, "family_ref": kel, "household_ref": ruta}
    members.update({db: _column_or_null(cols, key, v.n_rows) for key, db in MEMBER_COLUMNS.items()})
    members["row_number"] = pa.array(v.row_numbers, pa.int64())
    return Plan(v.instrument, pa.table(households), pa.table(families), pa.table(members), v, h_rows)


def _with_family_values(v: Validated, answers: pa.Array, h_rows: np.ndarray) -> pa.Array:
    """Add `_keluarga` to the answers of ruta whose families differ in date or officer (rare: Python)."""
    keys = per_family_keys(v.instrument)
    cols = v.columns
    ruta_codes = pc.dictionary_encode(cols["id_ruta"].arrow).indices.to_numpy(zero_copy_only=False)
    order = np.argsort(ruta_codes, kind="stable")
    g = ruta_codes[order]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    differs = np.zeros(len(starts), dtype=bool)
    for key in keys:
        c = cols[key]
        k = (
            c.indices
            if c.indices is not None
            else pc.fill_null(pc.dictionary_encode(c.arrow).indices, -1).to_numpy(zero_copy_only=False)
        )
        k = k[order]
        differs |= np.minimum.reduceat(k, starts) != np.maximum.reduceat(k, starts)
    if not differs.any():
        return answers
    flagged = set(g[starts][differs].tolist())
    per_ruta: dict[int, dict[str, dict]] = {}
    kel = cols["id_keluarga"].arrow
    for i in np.flatnonzero(np.isin(ruta_codes, list(flagged))):
        entry = per_ruta.setdefault(int(ruta_codes[i]), {})
        entry.setdefault(kel[i].as_py(), {k: json_value(cols[k].py(i)) for k in keys})
    texts = answers.to_pylist()
    for pos, row in enumerate(h_rows):
        code = int(ruta_codes[row])
        if code in per_ruta:
            doc = json.loads(texts[pos])
            doc.setdefault("x", {})[PER_FAMILY_KEY] = per_ruta[code]
            texts[pos] = _dumps(doc)
    return pa.array(texts, pa.string())


def family_values(
    answers: dict, family_ref: str, assessed_on: dt.date | None, assessed_by: str | None
) -> dict:
    """tanggal_pendataan and petugas of one family, from its household's assessment."""
    own = (answers or {}).get(PER_FAMILY_KEY, {}).get(family_ref)
    if own is not None:
        return dict(own)
    return {"tanggal_pendataan": assessed_on.isoformat() if assessed_on else None, "petugas": assessed_by}
