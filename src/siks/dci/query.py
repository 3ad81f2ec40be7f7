"""DCI search queries → SQLAlchemy conditions, through a whitelist of attributes. Never raw SQL.

The three query types of the DCI Social Registry API all end up as one SQLAlchemy condition over a
member row joined with its keluarga, its ruta and the ruta's latest penetapan row (desil, PMT score):

- `idtype-value`: `{"type": "NIK" | "KK" | "HOUSEHOLD_ID" | "MEMBER_ID", "value": "…"}`.
- `predicate`: the spec's list of `{seq_num, expression1, condition, expression2}`; each item is
  `expression1` alone, or `expression1 and|or expression2`, or `expression1 and not expression2`; the items
  are combined with AND in `seq_num` order. Operators: eq, gt, ge, lt, le, in
  (`in` takes a comma-separated text, since the spec's attribute_value cannot be an array).
- `expression`: `{"type": …, "value": {"expression": {"collection": "Group"|"Member", "query": {…}}}}`, a
  small documented subset of a MongoDB-style filter: `$and`, `$or`, `$not` over `{attribute: {op: value}}`
  with op in `$eq $ne $gt $gte $lt $lte $in`; at most `MAX_DEPTH` levels and `MAX_TERMS` comparisons.

Every attribute name is looked up in `ATTRIBUTES`; each names the client field it needs, so a client that
may not see desil cannot filter on it either. Values are bound parameters, typed and checked here.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Integer, and_, false, func, not_, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.functions import FunctionElement

from siks.domain import wilayah
from siks.store.models.penetapan import PenetapanHousehold
from siks.store.models.registry import STATUS_ACTIVE, Family, FamilyKK, Household, Member

MAX_DEPTH = 5
MAX_TERMS = 20
MAX_IN = 100


class QueryError(ValueError):
    """A query siks refuses; `reason` is the spec's status_reason_code, the message says why (Indonesian)."""

    def __init__(self, message: str, reason: str = "rjct.search_criteria.invalid"):
        super().__init__(message)
        self.reason = reason


class Columns:
    """The columns a query may touch beyond member, family and household: the latest penetapan row
    (`score`: household_ref, desil, skor_pmt, included). Built only when a query, sort or scope reads it,
    so an NIK look-up never groups the penetapan tables; `refs` narrows it to some ruta."""

    def __init__(self, refs: list[str] | None = None):
        self.refs = refs
        self._score = None

    @property
    def score(self):
        if self._score is None:
            self._score = latest_scores(self.refs)
        return self._score

    @property
    def used(self) -> bool:
        return self._score is not None


def latest_scores(refs: list[str] | None = None):
    """Each ruta's row in the latest penetapan that saw it: desil, PMT score, in DTKS or not."""
    latest = select(
        PenetapanHousehold.household_ref.label("household_ref"),
        func.max(PenetapanHousehold.penetapan_id).label("penetapan_id"),
    )
    if refs is not None:
        latest = latest.where(PenetapanHousehold.household_ref.in_(refs))
    latest = latest.group_by(PenetapanHousehold.household_ref).subquery("latest_penetapan")
    return (
        select(
            PenetapanHousehold.household_ref,
            PenetapanHousehold.desil,
            PenetapanHousehold.skor_pmt,
            PenetapanHousehold.included,
        )
        .join(
            latest,
            (latest.c.household_ref == PenetapanHousehold.household_ref)
            & (latest.c.penetapan_id == PenetapanHousehold.penetapan_id),
        )
        .subquery("score")
    )


# --- typed values ---------------------------------------------------------------------------------------


def _int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise QueryError(f"Nilai '{name}' harus bilangan bulat.")
    try:
        number = int(str(value))
    except ValueError:
        raise QueryError(f"Nilai '{name}' harus bilangan bulat, bukan '{value}'.") from None
    return number


def _float(name: str, value) -> float:
    if isinstance(value, bool):
        raise QueryError(f"Nilai '{name}' harus angka.")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise QueryError(f"Nilai '{name}' harus angka, bukan '{value}'.") from None


def _date(name: str, value) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        raise QueryError(f"Nilai '{name}' harus tanggal YYYY-MM-DD, bukan '{value}'.") from None


SEX_CODES = {"male": 1, "m": 1, "laki-laki": 1, "1": 1, "female": 2, "f": 2, "perempuan": 2, "2": 2}


def _sex(name: str, value) -> int:
    code = SEX_CODES.get(str(value).strip().lower())
    if code is None:
        raise QueryError(f"Nilai '{name}' harus male/female (1/2), bukan '{value}'.")
    return code


WILAYAH = re.compile(r"^[0-9]{2}(\.?[0-9]{2}){0,2}(\.?[0-9]{4})?$")


def _wilayah(name: str, value) -> str:
    text = str(value).strip()
    if not WILAYAH.match(text):
        raise QueryError(f"Nilai '{name}' harus kode wilayah Kemendagri (mis. 35.09.15), bukan '{value}'.")
    return wilayah.normalize(text)


# --- comparisons ----------------------------------------------------------------------------------------


def _compare(column, op: str, value) -> ColumnElement[bool]:
    match op:
        case "eq":
            return column == value
        case "ne":
            return column != value
        case "gt":
            return column > value
        case "ge":
            return column >= value
        case "lt":
            return column < value
        case "le":
            return column <= value
    raise QueryError(f"Operator '{op}' tidak dikenal.")


def _years_before(today: dt.date, years: int) -> dt.date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def _age(cols: Columns, op: str, value, today: dt.date) -> ColumnElement[bool]:
    """Age in completed years, as a range on the birth date (so the index on it can serve)."""
    n = _int("age", value)
    if n < 0 or n > 150:
        raise QueryError("Nilai 'age' harus antara 0 dan 150.")
    born = Member.tanggal_lahir

    def at_least(k: int):  # age >= k
        return born <= _years_before(today, k)

    match op:
        case "ge":
            return at_least(n)
        case "gt":
            return at_least(n + 1)
        case "lt":
            return born > _years_before(today, n)
        case "le":
            return born > _years_before(today, n + 1)
        case "eq":
            return and_(at_least(n), born > _years_before(today, n + 1))
        case "ne":
            return or_(born > _years_before(today, n), at_least(n + 1))
    raise QueryError(f"Operator '{op}' tidak dikenal.")


def _wilayah_condition(scope_code: str | None):
    def build(cols: Columns, op: str, value, today: dt.date) -> ColumnElement[bool]:
        if op not in ("eq", "ne"):
            raise QueryError("Atribut 'location' hanya mendukung eq, ne dan in.")
        code = _wilayah("location", value)
        inside = or_(Household.desa_code == code, Household.desa_code.like(code + ".%"))
        if op == "eq" and scope_code is not None and not _overlaps(code, scope_code):
            raise QueryError(
                f"Wilayah {code} di luar cakupan klien ({scope_code}).", reason="rjct.search_criteria.invalid"
            )
        return inside if op == "eq" else not_(inside)

    return build


def _overlaps(code: str, scope_code: str) -> bool:
    return code == scope_code or code.startswith(scope_code + ".") or scope_code.startswith(code + ".")


class _Unindexed(FunctionElement):
    """An integer column SQLite may not use an index for (`+household.id`); the column itself elsewhere."""

    type = Integer()
    inherit_cache = True
    name = "unindexed"


@compiles(_Unindexed)
def _column_itself(element, compiler, **kw):
    return compiler.process(element.clauses, **kw)


@compiles(_Unindexed, "sqlite")
def _unary_plus(element, compiler, **kw):
    return "+" + compiler.process(element.clauses, **kw)


def _group_size(cols: Columns, op: str, value, today: dt.date) -> ColumnElement[bool]:
    """Ruta whose count of aktif anggota compares: one grouped pass (`IN`), not a count per row.

    On SQLite the `IN` must filter, never lead: on `household.id` itself the planner joined the ruta by
    (ref, id) and walked the whole list for every ruta of the score join (N×N/2 probes: 22 s at 20,000
    ruta); `+household.id` is not an indexable term, so the list is probed once per candidate ruta.
    PostgreSQL hashes the list and keeps the plain column (an expression there costs a probe per row)."""
    m, f = aliased(Member), aliased(Family)
    sized = (
        select(f.household_id)
        .join(m, m.family_id == f.id)
        .where(m.status == STATUS_ACTIVE, f.status == STATUS_ACTIVE)
        .group_by(f.household_id)
        .having(_compare(func.count(m.id), op, _int("group_size", value)))
    )
    return _Unindexed(Household.id).in_(sized)


@dataclass(frozen=True)
class Attribute:
    """One queryable attribute: the client field it needs, and how to build its condition."""

    field: str
    build: Callable[[Columns, str, Any, dt.date], ColumnElement[bool]]
    description: str


def _simple(column_of: Callable[[Columns], Any], convert) -> Callable:
    def build(cols: Columns, op: str, value, today: dt.date) -> ColumnElement[bool]:
        return _compare(column_of(cols), op, convert(value))

    return build


def attributes(scope_code: str | None) -> dict[str, Attribute]:
    """The whitelist. Names follow the DCI examples (age, sex, poverty_score, location, group_size)."""
    return {
        "age": Attribute("tanggal_lahir", _age, "umur dalam tahun penuh pada hari ini"),
        "birth_date": Attribute(
            "tanggal_lahir",
            _simple(lambda c: Member.tanggal_lahir, lambda v: _date("birth_date", v)),
            "tanggal lahir (YYYY-MM-DD)",
        ),
        "sex": Attribute(
            "jenis_kelamin",
            _simple(lambda c: Member.sex, lambda v: _sex("sex", v)),
            "jenis kelamin: male/female (1 laki-laki, 2 perempuan)",
        ),
        "desil": Attribute(
            "desil",
            _simple(lambda c: c.score.c.desil, lambda v: _int("desil", v)),
            "desil penetapan terakhir",
        ),
        "poverty_score": Attribute(
            "skor_pmt",
            _simple(lambda c: c.score.c.skor_pmt, lambda v: _float("poverty_score", v)),
            "skor PMT penetapan terakhir",
        ),
        "location": Attribute(
            "wilayah", _wilayah_condition(scope_code), "kode wilayah (provinsi s.d. desa) tempat ruta"
        ),
        "group_size": Attribute("jumlah_art", _group_size, "jumlah ART aktif dalam ruta"),
    }


# --- idtype-value ---------------------------------------------------------------------------------------

ID_TYPES = {
    "NIK": "nik",
    "KK": "kk",
    "HOUSEHOLD_ID": "wilayah",  # the ruta id is not personal; any client may look one up
    "MEMBER_ID": "wilayah",
}


def idtype_condition(query: dict, fields: frozenset[str]) -> ColumnElement[bool]:
    if not isinstance(query, dict) or "type" not in query or "value" not in query:
        raise QueryError("Kueri idtype-value harus berisi 'type' dan 'value'.")
    kind = str(query["type"]).upper()
    value = query["value"]
    if kind not in ID_TYPES:
        raise QueryError(f"Jenis identitas '{query['type']}' tidak dikenal; gunakan {', '.join(ID_TYPES)}.")
    if ID_TYPES[kind] not in fields:
        raise QueryError(f"Klien tidak berhak mencari dengan {kind}.")
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise QueryError(f"Nilai {kind} harus teks.")
    text = str(value).strip()
    if kind in ("NIK", "KK") and not re.fullmatch(r"[0-9]{16}", text):
        raise QueryError(f"{kind} harus 16 angka.")
    if kind == "NIK":
        return Member.nik == text
    if kind == "KK":
        holders = select(FamilyKK.family_id).where(FamilyKK.kk_number == text, FamilyKK.valid_to.is_(None))
        return Member.family_id.in_(holders)  # the KK index first, not a probe per anggota
    if kind == "HOUSEHOLD_ID":
        return Household.ref == text
    return Member.ref == text


# --- predicate ------------------------------------------------------------------------------------------


class Translator:
    """Builds conditions for one client (its wilayah and fields) on one day."""

    def __init__(self, cols: Columns, scope_code: str | None, fields: frozenset[str], today: dt.date):
        self.cols = cols
        self.attrs = attributes(scope_code)
        self.fields = fields
        self.today = today
        self.terms = 0

    def term(self, name, op: str, value) -> ColumnElement[bool]:
        self.terms += 1
        if self.terms > MAX_TERMS:
            raise QueryError(f"Kueri terlalu panjang: paling banyak {MAX_TERMS} perbandingan.")
        attr = self.attrs.get(name) if isinstance(name, str) else None
        if attr is None:
            raise QueryError(
                f"Atribut '{name}' tidak dikenal; yang dapat dipakai: {', '.join(sorted(self.attrs))}."
            )
        if attr.field not in self.fields:
            raise QueryError(f"Klien tidak berhak memakai atribut '{name}'.")
        if op == "in":
            if isinstance(value, str):  # the spec's attribute_value has no array: "a,b,c" is the list
                value = [v.strip() for v in value.split(",") if v.strip()]
            if not isinstance(value, list) or not value or len(value) > MAX_IN:
                raise QueryError(f"Operator 'in' pada '{name}' butuh daftar 1–{MAX_IN} nilai.")
            return or_(*(attr.build(self.cols, "eq", v, self.today) for v in value))
        if isinstance(value, list | dict):
            raise QueryError(f"Nilai '{name}' harus satu nilai, bukan daftar.")
        return attr.build(self.cols, op, value, self.today)

    def predicate(self, items) -> ColumnElement[bool]:
        if not isinstance(items, list) or not items:
            raise QueryError("Kueri predicate harus daftar ekspresi.")
        ordered = sorted(items, key=lambda i: (i.get("seq_num") or 0) if isinstance(i, dict) else 0)
        parts = []
        for item in ordered:
            if not isinstance(item, dict) or "expression1" not in item:
                raise QueryError("Setiap predicate butuh 'expression1'.")
            first = self._expression(item["expression1"])
            condition = item.get("condition")
            if "expression2" not in item:
                if condition not in (None, "and"):
                    raise QueryError(f"Kondisi '{condition}' butuh 'expression2'.")
                parts.append(first)
                continue
            second = self._expression(item["expression2"])
            match condition:
                case "and" | None:
                    parts.append(and_(first, second))
                case "or":
                    parts.append(or_(first, second))
                case "not":
                    parts.append(and_(first, not_(second)))
                case _:
                    raise QueryError(f"Kondisi '{condition}' tidak dikenal; gunakan and, or, not.")
        return and_(*parts)

    def _expression(self, e) -> ColumnElement[bool]:
        if not isinstance(e, dict) or not {"attribute_name", "operator", "attribute_value"} <= set(e):
            raise QueryError("Ekspresi butuh attribute_name, operator dan attribute_value.")
        op = e["operator"]
        if op not in ("eq", "gt", "ge", "lt", "le", "in"):
            raise QueryError(f"Operator '{op}' tidak dikenal; gunakan eq, gt, ge, lt, le, in.")
        return self.term(e["attribute_name"], op, e["attribute_value"])

    # --- expression --------------------------------------------------------------------------------------

    OPS = {"$eq": "eq", "$ne": "ne", "$gt": "gt", "$gte": "ge", "$lt": "lt", "$lte": "le", "$in": "in"}

    def expression(self, query) -> tuple[ColumnElement[bool], str | None]:
        """`(condition, collection)` from `{"type": …, "value": {"expression": {collection, query}}}`."""
        value = query.get("value") if isinstance(query, dict) else None
        body = value.get("expression") if isinstance(value, dict) else None
        if not isinstance(body, dict) or not isinstance(body.get("query"), dict):
            raise QueryError("Kueri expression harus {'value': {'expression': {'collection', 'query'}}}.")
        collection = body.get("collection")
        if collection is not None and collection not in ("Group", "Member", "Person"):
            raise QueryError(f"Koleksi '{collection}' tidak dikenal; gunakan Group, Member atau Person.")
        return self._node(body["query"], 1), collection

    def _node(self, node, depth: int) -> ColumnElement[bool]:
        if depth > MAX_DEPTH:
            raise QueryError(f"Kueri terlalu dalam: paling banyak {MAX_DEPTH} tingkat.")
        if not isinstance(node, dict) or not node:
            raise QueryError("Setiap bagian expression harus objek yang tidak kosong.")
        parts = []
        for key, sub in node.items():
            if key in ("$and", "$or"):
                if not isinstance(sub, list) or not sub:
                    raise QueryError(f"'{key}' butuh daftar syarat.")
                inner = [self._node(s, depth + 1) for s in sub]
                parts.append(and_(*inner) if key == "$and" else or_(*inner))
            elif key == "$not":
                parts.append(not_(self._node(sub, depth + 1)))
            elif key.startswith("$"):
                raise QueryError(f"Operator '{key}' tidak didukung.")
            else:
                parts.append(self._field(key, sub))
        return and_(*parts) if len(parts) > 1 else parts[0]

    def _field(self, name: str, spec) -> ColumnElement[bool]:
        if not isinstance(spec, dict):
            return self.term(name, "eq", spec)
        if not spec:
            raise QueryError(f"Syarat atribut '{name}' kosong.")
        parts = []
        for op, value in spec.items():
            if op not in self.OPS:
                raise QueryError(f"Operator '{op}' tidak didukung; gunakan {', '.join(self.OPS)}.")
            parts.append(self.term(name, self.OPS[op], value))
        return and_(*parts)


def nothing() -> ColumnElement[bool]:
    return false()
