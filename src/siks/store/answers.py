"""How assessment answers are stored: a compact JSON document that code reads as a plain dict.

Why: a million members' answers keyed by column name are ~400 bytes each, mostly the key names repeated
a million times; loading them cost PostgreSQL more than the rest of the import together. So the column
holds the form's codes in a fixed column order, `{"k": "R22K.m1", "v": [2, 5, 2, 19, …]}`, and the
`AnswersJson` type turns that back into `{"hamil": False, "kartu_identitas": [1, 4], …}` on load (and the
other way on save), so ORM code sees the dict it would have seen anyway.

- `v` holds the codes the form uses (Ya/Tidak as the column's own codes, bit flags as their sum, counts and
  numbers as numbers, null when empty): exactly what the template cell says, so exporting is trivial.
- `k` names a frozen key list (`LAYOUTS`). A list is never changed once released: a new template column
  gets a new list id; old documents keep decoding with theirs. Keys outside the list go to `x` as is.
- A document without `k` is read as a plain dict, so hand-written answers keep working.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from sqlalchemy import JSON
from sqlalchemy.dialects.postgresql import JSON as PG_JSON
from sqlalchemy.types import TypeDecorator

from siks.domain import template as T
from siks.domain.instruments import (
    PBDT2015,
    REGSOSEK2022_K,
    decode_flags,
    encode_flags,
    yes_no_code,
    yes_no_value,
)


@dataclass(frozen=True)
class Layout:
    """A frozen, ordered key list of one instrument and level."""

    id: str
    instrument: str
    keys: tuple[str, ...]


# Released layouts. Never edit one; add a new id (and make `layout_for` prefer it).
LAYOUTS: dict[str, Layout] = {
    layout.id: layout
    for layout in (
        Layout(
            "R22K.h1",
            REGSOSEK2022_K,
            (
                "status_bangunan",
                "luas_lantai",
                "jenis_lantai",
                "jenis_dinding",
                "jenis_atap",
                "sumber_air_minum",
                "sumber_penerangan",
                "daya_listrik",
                "bahan_bakar_memasak",
                "fasilitas_bab",
                "jenis_kloset",
                "pembuangan_tinja",
                "aset_tabung_gas",
                "aset_lemari_es",
                "aset_ac",
                "aset_pemanas_air",
                "aset_telepon_rumah",
                "aset_tv_layar_datar",
                "aset_emas",
                "aset_komputer",
                "aset_sepeda_motor",
                "aset_sepeda",
                "aset_mobil",
                "aset_perahu",
                "aset_kapal_motor",
                "aset_smartphone",
                "lahan",
                "rumah_lain",
                "ternak_sapi",
                "ternak_kerbau",
                "ternak_kuda",
                "ternak_babi",
                "ternak_kambing",
                "internet",
                "rekening",
            ),
        ),
        Layout(
            "R22K.m1",
            REGSOSEK2022_K,
            (
                "hamil",
                "kartu_identitas",
                "partisipasi_sekolah",
                "pendidikan",
                "bekerja",
                "lapangan_usaha",
                "status_pekerjaan",
                "sulit_melihat",
                "sulit_mendengar",
                "sulit_berjalan",
                "sulit_tangan_jari",
                "sulit_belajar",
                "sulit_perilaku",
                "sulit_bicara",
                "sulit_mengurus_diri",
                "sulit_konsentrasi",
                "penyakit_kronis",
                "jaminan_kesehatan",
            ),
        ),
        Layout(
            "PBDT.h1",
            PBDT2015,
            (
                "status_bangunan",
                "status_lahan",
                "luas_lantai",
                "jenis_lantai",
                "jenis_dinding",
                "kondisi_dinding",
                "jenis_atap",
                "kondisi_atap",
                "jumlah_kamar",
                "sumber_air_minum",
                "cara_memperoleh_air",
                "sumber_penerangan",
                "daya_listrik",
                "bahan_bakar_memasak",
                "fasilitas_bab",
                "jenis_kloset",
                "pembuangan_tinja",
                "aset_tabung_gas",
                "aset_lemari_es",
                "aset_ac",
                "aset_pemanas_air",
                "aset_telepon_rumah",
                "aset_televisi",
                "aset_emas",
                "aset_komputer",
                "aset_sepeda",
                "aset_sepeda_motor",
                "aset_mobil",
                "aset_perahu",
                "aset_motor_tempel",
                "aset_perahu_motor",
                "aset_kapal",
                "luas_lahan",
                "rumah_lain",
                "ternak_sapi",
                "ternak_kerbau",
                "ternak_kuda",
                "ternak_babi",
                "ternak_kambing",
            ),
        ),
        Layout(
            "PBDT.m1",
            PBDT2015,
            (
                "hubungan_krt",
                "akta_nikah",
                "tercantum_kk",
                "kartu_identitas",
                "hamil",
                "jenis_cacat",
                "penyakit_kronis",
                "partisipasi_sekolah",
                "pendidikan",
                "kelas_tertinggi",
                "ijazah",
                "bekerja",
                "lapangan_usaha",
                "status_pekerjaan",
            ),
        ),
    )
}


@cache
def _positions(layout_id: str) -> dict[str, int]:
    return {k: i for i, k in enumerate(LAYOUTS[layout_id].keys)}


def layout_for(keys) -> Layout | None:
    """The released layout that holds most of these keys (None when none holds any)."""
    keys = set(keys)
    best, score = None, 0
    for layout in LAYOUTS.values():
        hit = len(keys & set(layout.keys))
        if hit > score:
            best, score = layout, hit
    return best


def _column(layout: Layout, key: str):
    return T.column_map(layout.instrument).get(key)


def to_code(column, value):
    """A normalised answer → the form's code (Ya/Tidak code, sum of flags, number). None stays None."""
    if value is None or value == "":
        return None
    kind = column.kind if column is not None else None
    if kind == "yes_no" and isinstance(value, bool):
        return yes_no_code(column, value)
    if kind == "bitflags" and isinstance(value, list | tuple | set | frozenset):
        return encode_flags(column, value)
    if isinstance(value, bool):
        raise ValueError(f"jawaban {value!r} tidak cocok untuk kolom {getattr(column, 'key', '?')}")
    if isinstance(value, int | float):
        return int(value) if isinstance(value, float) and value.is_integer() and kind != "number" else value
    if isinstance(value, str):
        text = value.strip()
        number = float(text.replace(",", "."))
        return int(number) if number.is_integer() and kind != "number" else number
    raise ValueError(f"jawaban {value!r} tidak dapat disimpan sebagai kode")


def from_code(column, code):
    """The form's code → the normalised answer (bool for Ya/Tidak, sorted list for flags, int, float)."""
    if code is None or column is None:
        return code
    if column.kind == "yes_no":
        return yes_no_value(column, int(code))
    if column.kind == "bitflags":
        return sorted(decode_flags(column, int(code)))
    if column.kind == "number":
        return float(code)
    return int(code)


def encode(answers: Mapping | None) -> dict | None:
    """dict of answers → the stored document (`k`, `v`, and `x` for keys outside the layout)."""
    if answers is None:
        return None
    answers = dict(answers)
    if "k" in answers and "v" in answers:  # already a stored document
        return answers
    layout = layout_for(answers)
    if layout is None:  # nothing a layout holds: stored as the plain dict it is
        return answers
    values: list = [None] * len(layout.keys)
    extra: dict = {}
    pos = _positions(layout.id)
    for key, value in answers.items():
        if key in pos:
            try:
                values[pos[key]] = to_code(_column(layout, key), value)
                continue
            except Exception:  # noqa: BLE001 - an odd value is kept as it is (in `x`), never lost
                pass
        extra[key] = value
    doc: dict = {"k": layout.id, "v": values}
    if extra:
        doc["x"] = extra
    return doc


@cache
def _decoder(layout_id: str, position: int):
    """code → answer for one position of a layout, remembered per distinct code (codes are few)."""
    layout = LAYOUTS[layout_id]
    column = _column(layout, layout.keys[position])
    memo: dict = {}

    def convert(code):
        try:
            value = memo[code]
        except KeyError:
            value = memo[code] = from_code(column, code)
        return list(value) if isinstance(value, list) else value

    return convert


def decode(doc) -> dict | None:
    """The stored document → dict of answers keyed by template column (empty answers left out)."""
    if doc is None:
        return None
    if isinstance(doc, str):
        doc = json.loads(doc)
    if not isinstance(doc, Mapping):
        return {}
    layout_id = doc.get("k")
    if layout_id not in LAYOUTS:
        return dict(doc)
    keys = LAYOUTS[layout_id].keys
    out = {
        keys[i]: _decoder(layout_id, i)(code)
        for i, code in enumerate((doc.get("v") or [])[: len(keys)])
        if code is not None
    }
    out.update(doc.get("x") or {})
    return out


class AnswersJson(TypeDecorator):
    """JSON on SQLite, JSON (not JSONB) on PostgreSQL; compact on disk, a plain dict in Python."""

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            return dialect.type_descriptor(PG_JSON())
        return dialect.type_descriptor(JSON())

    def process_bind_param(self, value, dialect):
        return encode(value)

    def process_result_value(self, value, dialect):
        return decode(value)
