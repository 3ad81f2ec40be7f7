"""Search-first access to the registry: find a person by NIK, KK or name, open one household, correct it.

Why search-first: a registry of millions of poor families must not offer "list everyone". Every function
takes the acting user, filters by their wilayah scope in SQL, and refuses ids outside it with NotFound.
Name search needs three letters and returns pages of 20 without a total count; lists mask the NIK.
Direct edits are limited to the address; anything that changes who belongs where goes through usulan.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field

from sqlalchemy import func, inspect, literal, or_, select, tuple_
from sqlalchemy.orm import Session, aliased, selectinload

from siks.audit import EntryView, entries_for, record_change
from siks.domain import finding_catalog, wilayah
from siks.domain.masking import mask_nik, mask_numbers, nik_for, sees_full_nik
from siks.domain.roles import EDIT_REGISTRY, VIEW_REGISTRY, has_permission
from siks.errors import Conflict, Forbidden, Invalid, NotFound
from siks.paging import BadCursor, Page, bounds, decode_cursor, encode_cursor
from siks.scope import Scope, wilayah_label
from siks.store.models.registry import Family, FamilyKK, Household, Member

MIN_NAME = 3
_DIGITS = re.compile(r"[\s.\-]")


def _require(user, permission: str) -> None:
    if not has_permission(user.role, permission) or not user.active:
        raise Forbidden()


# --- labels -----------------------------------------------------------------------------------------------


def _labels():
    from siks.domain.instruments import regsosek2022 as r

    return {
        "sex": r.JENIS_KELAMIN.codes,
        "hubungan_kk": r.HUBUNGAN_KK.codes,
        "keberadaan": r.KEBERADAAN.codes,
        "status_kawin": r.STATUS_KAWIN.codes,
    }


def label(kind: str, code: int | None) -> str:
    if code is None:
        return "-"
    return _labels().get(kind, {}).get(code, str(code))


def _age(born: dt.date | None, today: dt.date | None = None) -> int | None:
    if born is None:
        return None
    today = today or dt.date.today()
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


# --- search -----------------------------------------------------------------------------------------------


@dataclass(slots=True)
class PersonHit:
    """One search result row. The NIK is always masked: lists are not where identities are read."""

    member_id: int
    household_id: int
    household_ref: str
    nama: str
    nik_masked: str
    sex: str
    birth_year: int | None
    desa_code: str
    desa: str
    hubungan: str
    status: str

    def as_dict(self) -> dict:
        return {f: getattr(self, f) for f in self.__slots__}


@dataclass(slots=True)
class FamilyHit:
    family_id: int
    household_id: int
    kk_masked: str
    current: bool
    head: str | None
    desa: str

    def as_dict(self) -> dict:
        return {f: getattr(self, f) for f in self.__slots__}


@dataclass(slots=True)
class SearchResult:
    """What one search box query found: people (by NIK or name) and families (by current or past KK)."""

    kind: str  # "nik" or "nama"
    persons: Page[PersonHit] = field(default_factory=Page)
    families: list[FamilyHit] = field(default_factory=list)


def _person_select(scope: Scope):
    return (
        select(
            Member,
            Household.id.label("household_id"),
            Household.ref.label("household_ref"),
            Household.desa_code.label("household_desa"),
        )
        .join(Family, Member.family_id == Family.id)
        .join(Household, Family.household_id == Household.id)
        .where(scope.where(Household.desa_code))
    )


def _hit(member: Member, hid: int, href: str, desa_code: str) -> PersonHit:
    return PersonHit(
        member_id=member.id,
        household_id=hid,
        household_ref=href,
        nama=member.nama,
        nik_masked=mask_nik(member.nik),
        sex=label("sex", member.sex),
        birth_year=member.tanggal_lahir.year if member.tanggal_lahir else None,
        desa_code=desa_code,
        desa=wilayah_label(desa_code).split(",")[0],
        hubungan=label("hubungan_kk", member.hubungan_kk),
        status=member.status,
    )


def clean_number(text: str) -> str:
    return _DIGITS.sub("", text or "")


def find_by_nik(session: Session, user, nik: str, limit: int = 50) -> list[PersonHit]:
    """Everyone in scope recorded with exactly this NIK (more than one is a ganda worth seeing)."""
    _require(user, VIEW_REGISTRY)
    nik = clean_number(nik)
    if not (nik.isdigit() and len(nik) == 16):
        raise Invalid("NIK harus 16 digit angka.")
    rows = session.execute(
        _person_select(Scope.of(user)).where(Member.nik == nik).order_by(Member.nama, Member.id).limit(limit)
    ).all()
    return [_hit(*r) for r in rows]


def find_by_kk(session: Session, user, kk: str, limit: int = 50) -> list[FamilyHit]:
    """Families in scope that hold or once held this KK number (KK numbers change; old ones still find)."""
    _require(user, VIEW_REGISTRY)
    kk = clean_number(kk)
    if not (kk.isdigit() and len(kk) == 16):
        raise Invalid("Nomor KK harus 16 digit angka.")
    scope = Scope.of(user)
    rows = session.execute(
        select(FamilyKK, Family.id, Household.id, Household.desa_code)
        .join(Family, FamilyKK.family_id == Family.id)
        .join(Household, Family.household_id == Household.id)
        .where(FamilyKK.kk_number == kk, scope.where(Household.desa_code))
        .order_by(Family.id, FamilyKK.id)
        .limit(limit)
    ).all()
    heads = _family_heads(session, {r[1] for r in rows})
    return [
        FamilyHit(
            family_id=fid,
            household_id=hid,
            kk_masked=mask_nik(k.kk_number),
            current=k.valid_to is None,
            head=heads.get(fid),
            desa=wilayah_label(desa).split(",")[0],
        )
        for k, fid, hid, desa in rows
    ]


def _family_heads(session: Session, family_ids: set[int]) -> dict[int, str]:
    if not family_ids:
        return {}
    rows = session.execute(
        select(Member.family_id, Member.nama)
        .where(Member.family_id.in_(family_ids), Member.hubungan_kk == 1)
        .order_by(Member.no_urut)
    )
    out: dict[int, str] = {}
    for fid, nama in rows:
        out.setdefault(fid, nama)
    return out


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _name_cursor(text: str, phase: str, key: str, member_id: int, page: int) -> str:
    return encode_cursor({"q": _query_tag(text), "f": phase, "n": key, "i": member_id, "h": page})


def _query_tag(text: str) -> str:
    """Binds a token to its query: a token of another search is refused rather than mis-positioned."""
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _read_name_cursor(text: str, token: str) -> tuple[str, str, int, int]:
    c = decode_cursor(token)
    phase, key, member_id, page = c.get("f"), c.get("n"), c.get("i"), c.get("h")
    if (
        c.get("q") != _query_tag(text)
        or phase not in ("p", "c")
        or not isinstance(key, str)
        or "\x00" in key  # PostgreSQL refuses NUL in text: a forged key must not become a 500
        or type(member_id) is not int
        or not 0 <= member_id < 2**63  # beyond BIGINT the database itself would fail
        or type(page) is not int
        or not 1 <= page < 10**9
    ):
        raise BadCursor()
    return phase, key, member_id, page


# Name-index entries a kecamatan or kabupaten search walks before it reads its scope instead. An entry costs
# ~10 buffers (the member, its family, its household); reading a kecamatan (~30,000 members) ~87,000 buffers
# and 300-500 ms, a kabupaten (~1 M members, by hash joins) 2-3 s. Walking until the walk has cost what the
# read costs, then reading, is never worse than twice the better of the two (the ski-rental rule), whatever
# the instance's size. docs/benchmarks.md "Name search from the scope".
WALK_LIMITS = {3: 8_000, 2: 20_000}


def _start_for(scope: Scope) -> str:
    """Where a name search in this scope starts: "scope", "walk" or "name" (see `find_by_name`).

    The name index (`0006_web_speed`) is walked over the whole instance and every match's household is
    checked against the scope: cheap when the scope holds a good share of the instance, ruinous when it holds
    a sliver of it (a desa among 9.76 M members: `aulia%` probed 40,007 matches to keep 15, 5-10 s;
    docs/benchmarks.md). A desa holds a few thousand members at any instance size: read them. A kecamatan
    (~30,000) or a kabupaten (~1 M) is worth reading only when the walk would be longer: "walk" tries a
    bounded walk first. A provinsi or the nation is most of its instance: the walk alone."""
    if scope.code is None or scope.code == "-":
        return "name"
    return {4: "scope", 3: "walk", 2: "walk"}.get(wilayah.level(scope.code), "name")


def find_by_name(
    session: Session,
    user,
    name: str,
    after: str | None = None,
    per_page: int = 20,
    *,
    start: str | None = None,
) -> Page[PersonHit]:
    """Case-insensitive: names starting with the text first, then names containing it; a page at a time.

    Two phases, so that a common prefix (`SITI H`: 25,000 people in a kabupaten) never sorts every match:
    (p) names starting with the text, ordered by `(lower(nama) COLLATE "C", id)`, and (c) only when (p)
    runs out within the page, the names that contain the text without starting with it, ordered by
    `(lower(nama), id)` in the database collation. Pages follow a keyset cursor, not an offset: `after`
    (the page's `next_cursor`) names the phase and the `(lower(nama), id)` of the last row shown. The key is
    the database's own lower(nama) (SQLite lowers ASCII only), and the scope filter is in both phases.

    Where the query starts (`start`; by default `_start_for(scope)`, i.e. by the scope's level) changes the
    cost, never the rows, their order or the tokens (a token of one start continues in another):
    - "name" (provinsi, national): (p) walks the index `(lower(nama) COLLATE "C", id)` of `0006_web_speed`
      over the whole instance in order, checks each match's household against the scope and stops after
      the page, so a deep page reads no more rows than the first; (c) takes the trigram index of
      `0005_indexes`, checks the scope and sorts the matches.
    - "scope" (desa): the scope's households → their families → their members, read whole behind an
      `OFFSET 0` fence (PostgreSQL pushes no filter into it, so it cannot go back to the name index on its
      estimate: ~836 rows at 9.76 M members where the truth was 40,007), then filtered by name and sorted.
    - "walk" (kecamatan, kabupaten): (p) walks the name index as "name" does, but at most `WALK_LIMITS`
      entries after the cursor (8,000; 20,000); if they hold the page, or are all the matches there are,
      that is the answer (every later entry sorts after them), otherwise (p) is read from the scope as
      "scope" does. (c) as "name".
    """
    _require(user, VIEW_REGISTRY)
    text = " ".join((name or "").split()).lower()
    if len(text) < MIN_NAME:
        raise Invalid(f"Ketik minimal {MIN_NAME} huruf nama.")
    phase, key, last_id, page = ("p", None, None, 1) if not after else _read_name_cursor(text, after)
    if after:
        page += 1
    per_page = bounds(1, per_page)[1]
    scope = Scope.of(user)
    start = start or _start_for(scope)
    if start not in ("scope", "walk", "name"):
        raise ValueError(f"start: 'scope', 'walk' or 'name', not {start!r}")
    postgres = session.get_bind().dialect.name == "postgresql"
    pattern = _like_escape(text)
    prefix, contains = pattern + "%", "%" + pattern + "%"
    want = per_page + 1
    rows: list[tuple[str, tuple]] = []
    if phase == "p":
        found = None
        if start == "walk":
            limit = WALK_LIMITS.get(wilayah.level(scope.code) if scope.code else 2, WALK_LIMITS[2])
            found = _walk(session, scope, prefix, key, last_id, want, limit, postgres)
        if found is None:
            base, lowered, mid = _name_select(scope, "scope" if start != "name" else "name")
            ordered = lowered.collate("C") if postgres else lowered  # the index's order; LIKE is the same
            q = base.where(ordered.like(prefix, escape="\\"))
            if key is not None:
                q = q.where(tuple_(ordered, mid) > tuple_(literal(key), last_id))  # the index's collation
            found = session.execute(q.order_by(ordered, mid).limit(want)).all()
        rows = [("p", r) for r in found]
        key = last_id = None
    if len(rows) < want:
        # Sorted by the database collation, not the index's: walking the prefix index in order and
        # filtering every name (PostgreSQL's choice when the order matches) read all members: 3.8 s.
        base, lowered, mid = _name_select(scope, "scope" if start == "scope" else "name")
        q = base.where(lowered.like(contains, escape="\\"), ~lowered.like(prefix, escape="\\"))
        if key is not None:
            q = q.where(tuple_(lowered, mid) > tuple_(literal(key), last_id))
        rows += [("c", r) for r in session.execute(q.order_by(lowered, mid).limit(want - len(rows))).all()]
    shown = rows[:per_page]
    result = Page.from_rows([_hit(*r[:4]) for _, r in rows], page, per_page)
    if result.has_next:
        last_phase, last = shown[-1]
        result.next_cursor = _name_cursor(text, last_phase, last[4], last[0].id, page)
    return result


def _name_select(scope: Scope, start: str):
    """(select of member, household id/ref/desa, lower(nama); that lower(nama); the member id column)."""
    if start == "name":
        lowered = func.lower(Member.nama)
        return _person_select(scope).add_columns(lowered), lowered, Member.id
    scoped = _person_select(scope).add_columns(func.lower(Member.nama).label("name_key")).offset(0)
    sub = scoped.subquery("in_scope")
    c = sub.c
    base = select(aliased(Member, sub), c.household_id, c.household_ref, c.household_desa, c.name_key)
    return base, c.name_key, c.id


def _walk(session: Session, scope: Scope, prefix: str, key, last_id, want: int, limit: int, postgres: bool):
    """The prefix phase from at most `limit` name-index entries after the cursor: its rows if they are the
    answer (`want` of them in scope, or the entries were all the matches left), else None. The entries are
    a subquery in index order (whole member rows, so each entry is read once), joined to its family and
    household one by one and stopped after `want` rows in scope: a walk that finds its page early costs
    what "name" costs."""
    ordered = func.lower(Member.nama).collate("C") if postgres else func.lower(Member.nama)
    entries = select(Member, ordered.label("name_key")).where(ordered.like(prefix, escape="\\"))
    if key is not None:
        entries = entries.where(tuple_(ordered, Member.id) > tuple_(literal(key), last_id))
    entries = entries.order_by(ordered, Member.id).limit(limit)
    walk = entries.subquery("walk")
    walk_key = walk.c.name_key.collate("C") if postgres else walk.c.name_key
    q = (
        select(
            aliased(Member, walk),
            Household.id.label("household_id"),
            Household.ref,
            Household.desa_code,
            walk.c.name_key,
        )
        .join(Family, walk.c.family_id == Family.id)
        .join(Household, Family.household_id == Household.id)
        .where(scope.where(Household.desa_code))
        .order_by(walk_key, walk.c.id)
        .limit(want)
    )
    rows = session.execute(q).all()
    if len(rows) == want:
        return rows
    walked = session.scalar(select(func.count()).select_from(entries.subquery()))
    return rows if walked < limit else None


def search(
    session: Session, user, query: str, page: int = 1, per_page: int = 20, after: str | None = None
) -> SearchResult:
    """The one search box: 16 digits → NIK (and KK); other digits → an error; text → name.

    Name results page by cursor (`after`); `page` is kept for old clients and may only be 1."""
    q = (query or "").strip()
    digits = clean_number(q)
    if digits.isdigit():
        if len(digits) != 16:
            raise Invalid("NIK dan nomor KK terdiri dari 16 digit angka.")
        persons = find_by_nik(session, user, digits)
        return SearchResult(
            kind="nik",
            persons=Page(items=persons, page=1, per_page=len(persons) or 1, has_next=False),
            families=find_by_kk(session, user, digits),
        )
    if page != 1 and not after:
        raise BadCursor(
            "Halaman berikutnya dibuka dengan penanda `after` dari jawaban sebelumnya, bukan nomor halaman."
        )
    return SearchResult(kind="nama", persons=find_by_name(session, user, q, after, per_page))


# --- one household --------------------------------------------------------------------------------------


def household_by_ref_or_nik(session: Session, user, query: str) -> Household:
    """A household by its ID ruta or by a member's NIK, inside the user's scope (drafting an usulan)."""
    text = (query or "").strip()
    if not text:
        raise Invalid("Isi ID ruta atau NIK anggota.")
    digits = clean_number(text)
    if digits.isdigit() and len(digits) == 16:
        hits = find_by_nik(session, user, digits, limit=2)
        if hits:
            return get_household(session, user, hits[0].household_id)
    h = session.scalar(
        select(Household).where(Household.ref == text, Scope.of(user).where(Household.desa_code))
    )
    if h is None:
        raise NotFound("Rumah tangga dengan ID ruta atau NIK itu tidak ditemukan di wilayah Anda.")
    return h


def get_household(session: Session, user, household_id: int) -> Household:
    """The household if it exists AND lies in the user's scope; otherwise NotFound (same message for both)."""
    _require(user, VIEW_REGISTRY)
    h = session.get(Household, household_id)
    if h is None:
        raise NotFound()
    Scope.of(user).check(h.desa_code)
    return h


def household_of_member(session: Session, user, member_id: int) -> Household:
    _require(user, VIEW_REGISTRY)
    hid = session.scalar(
        select(Family.household_id).join(Member, Member.family_id == Family.id).where(Member.id == member_id)
    )
    if hid is None:
        raise NotFound()
    return get_household(session, user, hid)


@dataclass(slots=True)
class MemberView:
    id: int
    ref: str
    no_urut: int
    nama: str
    nik: str  # full or masked, per role
    sex: str
    tempat_lahir: str | None
    tanggal_lahir: dt.date | None
    umur: int | None
    hubungan: str
    keberadaan: str
    status_kawin: str
    status: str


@dataclass(slots=True)
class KKView:
    kk_number: str
    valid_from: dt.datetime | None
    valid_to: dt.datetime | None
    source: str | None

    @property
    def current(self) -> bool:
        return self.valid_to is None


@dataclass(slots=True)
class FamilyView:
    id: int
    ref: str
    status: str
    kk_current: str | None
    kk_history: list[KKView]
    members: list[MemberView]


@dataclass(slots=True)
class AssessmentView:
    id: int
    instrument: str
    assessed_on: dt.date | None
    assessed_by: str | None
    answers: dict
    member_answers: int

    @property
    def rows(self) -> list[tuple[str, str]]:
        return answer_rows(self.instrument, self.answers)


def answer_rows(instrument: str, answers: dict) -> list[tuple[str, str]]:
    """Answers as (question label, answer label), in template order; unknown keys last, as they are."""
    try:
        from siks.domain.instruments.fields import decode_flags
        from siks.domain.template import column_map

        fields = column_map(instrument)
    except Exception:  # noqa: BLE001 - unknown instrument or template not available: show raw
        fields = {}
    out: list[tuple[str, str]] = []
    for key, fld in fields.items():
        if key in answers and answers[key] not in (None, ""):
            out.append(
                (
                    f"{fld.label} [{fld.var}]" if fld.var else fld.label,
                    _answer(fld, answers[key], decode_flags),
                )
            )
    out += [(k, str(v)) for k, v in answers.items() if k not in fields and v not in (None, "")]
    return out


def _answer(fld, value, decode_flags) -> str:
    if isinstance(value, bool):
        return "Ya" if value else "Tidak"
    codes = getattr(fld, "codes", None)
    if codes is None or not isinstance(value, int):
        return str(value)
    if fld.kind == "bitflags":
        try:
            return (
                ", ".join(codes.codes.get(c, str(c)) for c in sorted(decode_flags(fld, value))) or "Tidak ada"
            )
        except ValueError:
            return str(value)
    return codes.codes.get(value, str(value))


@dataclass(slots=True)
class FindingView:
    code: str
    title: str
    level: str
    subject: str  # the member's name, or "Keluarga"/"Rumah tangga"
    explanation: str
    severity: str = ""  # from the finding catalog
    action: str = ""  # what the operator should do (finding catalog)


@dataclass(slots=True)
class DesilView:
    """The ruta's desil as the latest verval run set it, and the official BPS/DTSEN desil per keluarga."""

    desil: int | None = None  # what eligibility and penetapan use: official where there is one
    desil_pmt: int | None = None
    sumber: str | None = None  # "resmi" | "pmt" | None
    periode: str | None = None
    interval: tuple[int, int] | None = None  # the PMT desil's 80 % interval
    jawaban_kurang: bool = False
    official: list[tuple[str, str, int, int]] = field(
        default_factory=list
    )  # keluarga ref, periode, desil, versi


@dataclass(slots=True)
class HouseholdDetail:
    id: int
    ref: str
    version: int
    desa_code: str
    wilayah: str
    dusun: str | None
    rw: str | None
    rt: str | None
    alamat: str | None
    status: str
    status_reason: str | None
    full_nik: bool
    families: list[FamilyView]
    assessments: list[AssessmentView]
    verval_run: dict | None
    findings: list[FindingView]
    audit: list[EntryView]
    desil: DesilView = field(default_factory=DesilView)


def household_detail(session: Session, user, household_id: int) -> HouseholdDetail:
    """Everything the household page shows, already masked and scoped for this user."""
    h = get_household(session, user, household_id)
    families = session.scalars(
        select(Family)
        .where(Family.household_id == h.id)
        .options(selectinload(Family.members), selectinload(Family.kk_history))
        .order_by(Family.id)
    ).all()
    fviews: list[FamilyView] = []
    refs: list[tuple[str, int]] = [("household", h.id)]
    member_names: dict[str, str] = {}
    for f in families:
        refs.append(("family", f.id))
        mviews = []
        for m in f.members:
            refs.append(("member", m.id))
            member_names[m.ref] = m.nama
            mviews.append(
                MemberView(
                    id=m.id,
                    ref=m.ref,
                    no_urut=m.no_urut,
                    nama=m.nama,
                    nik=nik_for(user, m.nik),
                    sex=label("sex", m.sex),
                    tempat_lahir=m.tempat_lahir,
                    tanggal_lahir=m.tanggal_lahir,
                    umur=_age(m.tanggal_lahir),
                    hubungan=label("hubungan_kk", m.hubungan_kk),
                    keberadaan=label("keberadaan", m.keberadaan),
                    status_kawin=label("status_kawin", m.status_kawin),
                    status=m.status,
                )
            )
        kks = [KKView(nik_for(user, k.kk_number), k.valid_from, k.valid_to, k.source) for k in f.kk_history]
        current = next((k.kk_number for k in reversed(kks) if k.current), None)
        fviews.append(FamilyView(f.id, f.ref, f.status, current, list(reversed(kks)), mviews))

    assessments = [
        AssessmentView(a.id, a.instrument, a.assessed_on, a.assessed_by, a.answers or {}, len(a.members))
        for a in sorted(h.assessments, key=lambda a: (a.assessed_on or dt.date.min, a.id), reverse=True)
    ]
    run, findings = _latest_findings(session, user, h, member_names)
    desil = _desil(session, h, families)
    return HouseholdDetail(
        id=h.id,
        ref=h.ref,
        version=h.version,
        desa_code=h.desa_code,
        wilayah=wilayah_label(h.desa_code),
        dusun=h.dusun,
        rw=h.rw,
        rt=h.rt,
        alamat=h.alamat,
        status=h.status,
        status_reason=h.status_reason,
        full_nik=sees_full_nik(user),
        families=fviews,
        assessments=assessments,
        verval_run=run,
        findings=findings,
        audit=entries_for(session, user, refs),
        desil=desil,
    )


def _desil(session: Session, h: Household, families) -> DesilView:
    """Official desil of each keluarga (every imported version) and the latest run's desil of the ruta."""
    from siks.store import official_desil, verval_runs

    view = DesilView()
    bind = inspect(session.get_bind())
    if bind.has_table("official_desil"):
        history = official_desil.for_families(session, [f.id for f in families])
        view.official = [(f.ref, p, d, v) for f in families for p, d, v in history.get(f.id, [])]
    if not bind.has_table("verval_run"):
        return view
    path = verval_runs.household_pmt_file(verval_runs.latest_finished(session))
    if path is None:
        return view
    import pyarrow.parquet as pq

    wanted = ("desil", "desil_pmt", "sumber_desil", "periode_desil_resmi", "desil_bawah", "desil_atas",
              "jawaban_kurang")  # fmt: skip
    table = pq.read_table(path, filters=[("household_ref", "=", h.ref)])
    rows = table.select([c for c in wanted if c in table.column_names]).to_pylist()
    if rows:
        r = rows[0]
        view.desil, view.desil_pmt, view.sumber = r.get("desil"), r.get("desil_pmt"), r.get("sumber_desil")
        view.periode, view.jawaban_kurang = r.get("periode_desil_resmi"), bool(r.get("jawaban_kurang"))
        if r.get("desil_bawah") is not None and r.get("desil_atas") is not None:
            view.interval = (int(r["desil_bawah"]), int(r["desil_atas"]))
    return view


def _latest_findings(session: Session, user, h: Household, member_names: dict[str, str]):
    """The latest finished verval run's findings for this household, if the verval tables exist."""
    try:
        from siks.store.models.verval import VervalFinding, VervalRun
    except ImportError:  # pragma: no cover
        return None, []
    if not inspect(session.get_bind()).has_table(VervalRun.__tablename__):
        return None, []
    from siks.store import verval_runs

    run = verval_runs.latest_finished(session)
    if run is None:
        return None, []
    conds = [VervalFinding.household_ref == h.ref]
    if member_names:
        conds.append(VervalFinding.member_ref.in_(list(member_names)))
    rows = session.scalars(
        select(VervalFinding)
        .where(VervalFinding.run_id == run.id, or_(*conds))
        .order_by(VervalFinding.level, VervalFinding.code, VervalFinding.id)
        .limit(200)
    ).all()
    full = sees_full_nik(user)
    subjects = {"keluarga": "Keluarga", "ruta": "Rumah tangga"}
    out = [
        FindingView(
            code=f.code,
            title=finding_catalog.title(f.code),
            level=f.level,
            subject=member_names.get(f.member_ref or "", subjects.get(f.level, f.member_ref or "-")),
            explanation=(f.explanation or "") if full else mask_numbers(f.explanation or ""),
            severity=finding_catalog.entry(f.code).severity_label,
            action=finding_catalog.entry(f.code).action,
        )
        for f in rows
    ]
    info = {"id": run.id, "finished_at": run.finished_at, "actor": run.actor}
    return info, out


# --- the one direct edit: the address --------------------------------------------------------------------

ADDRESS_FIELDS = ("dusun", "rw", "rt", "alamat")


def _clean_address(changes: dict) -> dict:
    out: dict[str, str | None] = {}
    for key in ADDRESS_FIELDS:
        if key not in changes:
            continue
        value = (changes[key] or "").strip() or None
        if key in ("rw", "rt") and value is not None:
            if not (value.isdigit() and 1 <= len(value) <= 3):
                raise Invalid(f"{key.upper()} harus 1–3 digit angka.")
            value = value.zfill(3)
        if value is not None and len(value) > 200:
            raise Invalid(f"Isian {key} terlalu panjang (maksimal 200 karakter).")
        out[key] = value
    return out


def update_household_address(
    session: Session, user, household_id: int, changes: dict, reason: str, expected_version: int | None = None
) -> Household:
    """Correct dusun/RW/RT/alamat of a household in scope; audited with the reason. Returns the household."""
    h = get_household(session, user, household_id)  # NotFound first: do not reveal ids to the wrong role
    _require(user, EDIT_REGISTRY)
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise Invalid("Tuliskan alasan perubahan (minimal 5 karakter).")
    if expected_version is not None and int(expected_version) != h.version:
        raise Conflict()
    new = _clean_address(changes)
    before = {k: getattr(h, k) for k in new}
    if all(before[k] == new[k] for k in new):
        raise Invalid("Tidak ada perubahan.")
    for k, v in new.items():
        setattr(h, k, v)
    session.flush()
    record_change(session, user, "household", h.id, before, new, reason)
    return h
