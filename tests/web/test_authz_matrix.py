"""The authorization matrix (#17.13): every endpoint of the route table × every role (in and out of the
wilayah of the object it names) × anonymous, against a declared policy.

`POLICY` says, per endpoint, who may call it and what the path's object is. The expected answer follows from
one rule, the same everywhere: anonymous → log-in (401 on the API, redirect to /masuk on pages) unless the
endpoint is public; an object outside the caller's wilayah → 404 (before any role check, so nobody learns it
exists); a role without the right → 403; an id that names nothing → 404; otherwise the request reaches the
route's work (2xx, a redirect, or a business refusal such as 409). A route added without a policy entry fails
`test_every_route_has_a_policy`.

The seeded objects (a household, a member, an usulan in a submitted paket with a berita acara) lie in
`DESA`; every role has a user whose wilayah covers it and one whose wilayah does not (`*_out`).
Requests carry an empty body, so a caller who passes the checks usually gets 422 (`invalid=True`). Where a
route validates its body before it looks at the caller (`invalid=FIRST`: 422 for everyone logged in), the
matrix cannot see its role rule; those routes' roles are covered by their areas' tests (listed by
`test_routes_that_validate_before_authorizing`, so the number can only be brought down knowingly). The
registry's writes and searches get a valid body (`body=`), so their role and scope rules are asserted.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy.orm import Session

from siks.domain.roles import ROLE_CODES
from siks.store.models.accounts import User
from workflow_support import PASSWORD, USERS, forced_usulan, login, seeded_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.filterwarnings("ignore:.*httpx.*")

# The seed has one `_out` user for most roles; the matrix needs one for every role that has a wilayah.
EXTRA_USERS = {"auditor_out": ("auditor", "35.10")}
ALL_USERS = {**USERS, **EXTRA_USERS}

ANYONE = "anyone"  # public: anonymous too
FIRST = "first"  # Rule.invalid: the body is refused before the caller is looked at
LOGGED_IN = frozenset(ROLE_CODES)

DESA_OPS = frozenset({"operator_desa"})
NOT_ENUM = LOGGED_IN - {"enumerator"}
AUDIT = frozenset({"operator_kabupaten", "supervisor_kabupaten", "pengesah_kabupaten", "operator_provinsi",
                   "pusat", "auditor"})  # fmt: skip
EDIT = frozenset({"operator_desa", "operator_kecamatan", "operator_kabupaten"})
ASSIGN = frozenset({"operator_kecamatan", "operator_kabupaten", "supervisor_kabupaten"})
GANDA = frozenset({"operator_kecamatan", "operator_kabupaten", "supervisor_kabupaten", "operator_provinsi",
                   "pusat", "auditor"})  # fmt: skip
PENETAPAN_NEW = frozenset({"supervisor_kabupaten", "pengesah_kabupaten", "pusat"})
SIMULASI = frozenset({"operator_kabupaten", "supervisor_kabupaten", "pengesah_kabupaten", "pusat"})
FIELD = LOGGED_IN - {"operator_desa"}
NIK_DECIDERS = frozenset({"operator_kecamatan", "operator_kabupaten", "supervisor_kabupaten"})
IMPORT = frozenset({"operator_desa", "operator_kabupaten"})


@dataclass(frozen=True)
class Rule:
    """Who may call an endpoint. `scoped`: the path names an object in DESA (others' wilayah → 404).
    `missing`: the path's id names nothing seeded (the allowed → 404). `invalid`: the empty body is refused
    with 422 — after the checks (True) or before them (FIRST). `session`: the call changes the caller's own
    session (`test_session_endpoints`)."""

    roles: frozenset[str] | str
    scoped: bool = False
    missing: bool = False
    invalid: bool | str = False
    session: bool = False
    role_first: bool = False  # the role is checked before the wilayah (403 for a role that may never act)
    body: dict | None = None  # sent instead of an empty body (pages: form fields, API: JSON); {u}: the caller


R = Rule
POLICY: dict[tuple[str, str], Rule] = {
    # log-in and session
    ("GET", "/masuk"): R(ANYONE),
    ("POST", "/masuk"): R(ANYONE, session=True),
    ("POST", "/keluar"): R(LOGGED_IN, session=True),
    ("GET", "/api/v1/session"): R(ANYONE),
    ("POST", "/api/v1/session"): R(ANYONE, session=True),
    ("DELETE", "/api/v1/session"): R(LOGGED_IN, session=True),
    ("GET", "/api/v1/me"): R(LOGGED_IN),
    # registry
    ("GET", "/"): R(LOGGED_IN),
    ("GET", "/favicon.ico"): R(ANYONE),
    ("GET", "/cari"): R(LOGGED_IN),
    ("POST", "/cari"): R(LOGGED_IN, body={"q": "Budi"}),
    ("GET", "/ruta/{household_id}"): R(LOGGED_IN, scoped=True),
    ("GET", "/anggota/{member_id}"): R(LOGGED_IN, scoped=True),
    ("GET", "/ruta/{household_id}/ubah"): R(EDIT, scoped=True),
    ("POST", "/ruta/{household_id}/ubah"): R(  # a stale `versi` is a 409 after the checks: still "ok"
        EDIT, scoped=True, body={"versi": "1", "alasan": "uji matriks", "alamat": "Jl. Matriks {u}"}
    ),
    ("POST", "/api/v1/search"): R(LOGGED_IN, body={"query": "Budi"}),
    ("GET", "/api/v1/households/{household_id}"): R(LOGGED_IN, scoped=True),
    ("PATCH", "/api/v1/households/{household_id}"): R(
        EDIT, scoped=True, body={"alamat": "Jl. Matriks {u} 2", "reason": "uji matriks"}
    ),
    ("GET", "/api/v1/households/{household_id}/audit"): R(LOGGED_IN, scoped=True),
    # import in the browser (upload, check, confirm)
    ("GET", "/impor"): R(IMPORT),
    ("POST", "/impor"): R(IMPORT, invalid=True),
    ("GET", "/impor/template.{fmt}"): R(LOGGED_IN),
    ("GET", "/impor/{upload_id:int}"): R(LOGGED_IN, missing=True),
    ("POST", "/impor/{upload_id:int}/setujui"): R(LOGGED_IN, missing=True),
    ("POST", "/impor/{upload_id:int}/batal"): R(LOGGED_IN, missing=True),
    ("GET", "/impor/{upload_id:int}/laporan.{fmt}"): R(LOGGED_IN, missing=True),
    # audit
    ("GET", "/audit"): R(AUDIT),
    ("GET", "/audit/ekspor.csv"): R(AUDIT),
    ("GET", "/api/v1/audit"): R(AUDIT),
    ("GET", "/api/v1/audit.csv"): R(AUDIT),
    # usulan
    ("GET", "/usulan"): R(LOGGED_IN),
    ("POST", "/usulan/massal"): R(LOGGED_IN, invalid=FIRST),
    ("GET", "/usulan/{usulan_id:int}"): R(LOGGED_IN, scoped=True),
    ("POST", "/usulan/{usulan_id:int}/aksi"): R(LOGGED_IN, scoped=True),  # the workflow decides: 409
    ("GET", "/usulan/baru"): R(DESA_OPS),
    ("POST", "/usulan/baru"): R(DESA_OPS, invalid=True),
    ("GET", "/usulan/{usulan_id:int}/ubah"): R(LOGGED_IN, scoped=True),
    ("POST", "/usulan/{usulan_id:int}/ubah"): R(LOGGED_IN, scoped=True),
    ("GET", "/usulan/paket"): R(LOGGED_IN),
    ("POST", "/usulan/paket"): R(DESA_OPS, invalid=True),
    ("GET", "/usulan/paket/{batch_id:int}"): R(LOGGED_IN, scoped=True),
    ("POST", "/usulan/paket/{batch_id:int}/tambah"): R(DESA_OPS, scoped=True, invalid=True),
    ("POST", "/usulan/paket/{batch_id:int}/keluarkan/{usulan_id:int}"): R(
        DESA_OPS, scoped=True, invalid=True
    ),
    ("POST", "/usulan/paket/{batch_id:int}/berita-acara"): R(DESA_OPS, scoped=True, invalid=True),
    ("POST", "/usulan/paket/{batch_id:int}/ajukan"): R(DESA_OPS, scoped=True),
    ("GET", "/usulan/paket/{batch_id:int}/bnba.csv"): R(LOGGED_IN, scoped=True),
    ("GET", "/usulan/dokumen/{document_id:int}"): R(LOGGED_IN, missing=True),
    ("GET", "/musdes/{batch_id}/berita-acara.pdf"): R(LOGGED_IN, scoped=True),
    ("GET", "/api/v1/usulan/workflow"): R(ANYONE),
    ("GET", "/api/v1/usulan/batas-waktu"): R(LOGGED_IN),
    ("GET", "/api/v1/usulan"): R(LOGGED_IN),
    ("POST", "/api/v1/usulan"): R(LOGGED_IN, invalid=FIRST),
    ("GET", "/api/v1/usulan/{usulan_id}"): R(LOGGED_IN, scoped=True),
    ("PATCH", "/api/v1/usulan/{usulan_id}"): R(  # the seeded usulan is submitted: nobody may edit it
        frozenset(), scoped=True, body={"payload": {}, "version": 1}
    ),
    ("POST", "/api/v1/usulan/{usulan_id}/actions"): R(
        LOGGED_IN, scoped=True, body={"action": "verifikasi", "version": 1}
    ),
    ("GET", "/api/v1/usulan-batches"): R(LOGGED_IN),
    ("POST", "/api/v1/usulan-batches"): R(DESA_OPS, body={"title": "Musdes {u}"}),
    ("GET", "/api/v1/usulan-batches/{batch_id}"): R(LOGGED_IN, scoped=True),
    ("POST", "/api/v1/usulan-batches/{batch_id}/usulan"): R(
        DESA_OPS, scoped=True, role_first=True, invalid=True, body={"usulan_ids": []}
    ),
    ("POST", "/api/v1/usulan-batches/{batch_id}/berita-acara"): R(LOGGED_IN, scoped=True, invalid=FIRST),
    ("POST", "/api/v1/usulan-batches/{batch_id}/submit"): R(  # already submitted: 422
        DESA_OPS, scoped=True, role_first=True, invalid=True, body={"version": 1}
    ),
    ("GET", "/api/v1/usulan/documents/{document_id}"): R(LOGGED_IN, missing=True),
    # verval lapangan
    ("GET", "/verval-lapangan"): R(FIELD),
    ("GET", "/verval-lapangan/tugas/{task_id:int}"): R(LOGGED_IN, missing=True),
    ("POST", "/verval-lapangan/tugas/{task_id:int}"): R(LOGGED_IN, missing=True),
    ("GET", "/verval-lapangan/penugasan"): R(ASSIGN),
    ("POST", "/verval-lapangan/penugasan"): R(ASSIGN, invalid=True),
    ("GET", "/api/v1/fieldwork/tasks"): R(LOGGED_IN),
    ("GET", "/api/v1/fieldwork/tasks/{task_id}"): R(LOGGED_IN, missing=True),
    ("POST", "/api/v1/fieldwork/tasks/{task_id}/visit"): R(LOGGED_IN, invalid=FIRST),
    ("POST", "/api/v1/fieldwork/assignments"): R(LOGGED_IN, invalid=FIRST),
    ("GET", "/api/v1/fieldwork/progress"): R(LOGGED_IN - {"operator_desa", "enumerator"}),
    # ganda (adjudication)
    ("GET", "/ganda"): R(GANDA),
    ("GET", "/ganda/{finding_id:int}"): R(GANDA, missing=True),
    ("POST", "/ganda/{finding_id:int}"): R(GANDA, missing=True),
    ("GET", "/api/v1/adjudication/queue"): R(GANDA),
    ("GET", "/api/v1/adjudication/{finding_id}"): R(GANDA, missing=True),
    ("POST", "/api/v1/adjudication/{finding_id}/decision"): R(LOGGED_IN, invalid=FIRST),
    ("GET", "/api/v1/adjudication/nik"): R(GANDA),
    ("POST", "/api/v1/adjudication/nik/{case_id}"): R(
        NIK_DECIDERS, missing=True, body={"same_person": False, "note": "uji matriks"}
    ),
    ("POST", "/ganda/nik/{case_id:int}"): R(NIK_DECIDERS, missing=True, body={"putusan": "beda"}),
    # penetapan, programs, simulation
    ("GET", "/penetapan"): R(LOGGED_IN),
    ("GET", "/penetapan/baru"): R(PENETAPAN_NEW),
    ("POST", "/penetapan/baru"): R(LOGGED_IN, invalid=FIRST),
    ("GET", "/penetapan/status"): R(LOGGED_IN),
    ("POST", "/penetapan/status"): R(LOGGED_IN, invalid=FIRST),
    ("GET", "/penetapan/{penetapan_id}"): R(LOGGED_IN, missing=True),
    ("GET", "/penetapan/{penetapan_id}/banding"): R(LOGGED_IN, missing=True),
    ("GET", "/penetapan/{penetapan_id}/daftar.pdf"): R(LOGGED_IN, missing=True),
    ("GET", "/program"): R(LOGGED_IN),
    ("GET", "/program/{code}/ekspor.{fmt}"): R(LOGGED_IN, invalid=FIRST),
    ("GET", "/program/{code}/pengurus"): R(LOGGED_IN, invalid=FIRST),
    ("POST", "/program/{code}/pengurus"): R(LOGGED_IN, invalid=FIRST),
    ("GET", "/simulasi"): R(SIMULASI),
    ("POST", "/simulasi"): R(SIMULASI),
    ("GET", "/simulasi/{simulation_id}"): R(LOGGED_IN, missing=True),
    ("GET", "/simulasi/{simulation_id}/keadilan.svg"): R(LOGGED_IN, missing=True),
    ("GET", "/api/v1/ppks/penetapan/{penetapan_id:int}"): R(LOGGED_IN, missing=True),
    # public pages
    ("GET", "/cek"): R(ANYONE),
    ("POST", "/cek"): R(ANYONE, invalid=FIRST),
    ("GET", "/cek/sanggah/{n}"): R(ANYONE, missing=True),
    ("POST", "/cek/sanggah/{n}"): R(ANYONE, missing=True),
    ("GET", "/cek/usul"): R(ANYONE),
    ("POST", "/cek/usul"): R(ANYONE, invalid=FIRST),
    ("GET", "/cek/lacak"): R(ANYONE),
    ("POST", "/cek/lacak"): R(ANYONE, missing=True),
    ("POST", "/cek/alasan/{n}"): R(ANYONE, missing=True),
    # dashboard
    ("GET", "/dasbor"): R(LOGGED_IN),
    ("GET", "/dasbor/grafik/{name}.svg"): R(LOGGED_IN),
    ("GET", "/dasbor/ekspor.csv"): R(LOGGED_IN),
    ("GET", "/dasbor/data.json"): R(LOGGED_IN),
    # the API's own documentation (Swagger UI from a package)
    ("GET", "/api/v1/docs"): R(ANYONE),
    ("GET", "/api/v1/docs/swagger-init.js"): R(ANYONE),
    # ODK Collect
    ("GET", "/odk-collect"): R(NOT_ENUM),
    ("POST", "/odk-collect/kredensial"): R(ASSIGN, missing=True),
    ("POST", "/odk-collect/kiriman/{submission_id:int}/terapkan"): R(NOT_ENUM, missing=True),
    ("POST", "/odk-collect/kiriman/{submission_id:int}/tolak"): R(NOT_ENUM, missing=True),
    ("POST", "/api/v1/odk/credentials"): R(LOGGED_IN, invalid=FIRST),
    ("GET", "/api/v1/odk/submissions"): R(NOT_ENUM),
    ("GET", "/api/v1/odk/submissions/{submission_id:int}"): R(LOGGED_IN, missing=True),
    ("GET", "/api/v1/odk/submissions/{submission_id:int}/attachments/{name}"): R(LOGGED_IN, missing=True),
    ("POST", "/api/v1/odk/submissions/{submission_id:int}/retry"): R(LOGGED_IN, missing=True),
    ("POST", "/api/v1/odk/submissions/{submission_id:int}/dismiss"): R(LOGGED_IN, invalid=FIRST),
    # PPKS / PSKS
    ("GET", "/ppks"): R(LOGGED_IN),
    ("GET", "/ppks/lks/{psks_id:int}"): R(LOGGED_IN, missing=True),
    ("GET", "/api/v1/ppks/jenis"): R(ANYONE),
    ("GET", "/api/v1/psks/jenis"): R(ANYONE),
    ("POST", "/api/v1/psks"): R(EDIT, invalid=True),
    ("GET", "/api/v1/psks"): R(LOGGED_IN),
    ("GET", "/api/v1/psks/{psks_id:int}"): R(LOGGED_IN, missing=True),
    ("PATCH", "/api/v1/psks/{psks_id:int}"): R(EDIT, missing=True),
    ("POST", "/api/v1/psks/{psks_id:int}/nonaktif"): R(LOGGED_IN, invalid=FIRST),
    ("POST", "/api/v1/psks/{psks_id:int}/akun"): R(LOGGED_IN, invalid=FIRST),
    ("GET", "/api/v1/psks/{psks_id:int}/penghuni"): R(LOGGED_IN, missing=True),
    ("POST", "/api/v1/ppks/orang"): R(EDIT, invalid=True),
    ("GET", "/api/v1/ppks/orang/{person_id:int}"): R(LOGGED_IN, missing=True),
    ("POST", "/api/v1/ppks/kelompok"): R(EDIT, invalid=True),
    ("POST", "/api/v1/ppks/{subject_type}/{subject_id:int}/jenis"): R(EDIT, missing=True),
    ("GET", "/api/v1/ppks/{subject_type}/{subject_id:int}/jenis"): R(LOGGED_IN, missing=True),
    ("POST", "/api/v1/ppks/pencatatan/{reg_id:int}/akhiri"): R(LOGGED_IN, invalid=FIRST),
    ("GET", "/api/v1/ppks/rekap"): R(LOGGED_IN),
    # sync between instances
    ("GET", "/sinkronisasi"): R(AUDIT),
    ("GET", "/sinkronisasi/konflik/{conflict_id}"): R(AUDIT, missing=True),
    ("POST", "/sinkronisasi/konflik/{conflict_id}"): R(AUDIT, missing=True),
}

# Path values that are not ids of seeded objects (those come from the seed, below); any other id: 999999.
FIXED_PATH_VALUES = {"code": "pkh", "fmt": "csv", "name": "desil", "subject_type": "anggota"}
MISSING_ID = "999999"


def endpoints(app) -> list[tuple[str, str]]:
    """(method, path) for every FastAPI route of the app (pages and API). The mounted sub-apps and the
    OpenRosa catch-all — DCI (client tokens), sync (signed change sets), /odk (Digest) — authenticate their
    own way; their refusals are tested in tests/dci, tests/sync and tests/odk."""
    found = []
    for ctx in iter_route_contexts(app.routes):
        route = ctx.original_route
        if isinstance(route, APIRoute):
            found += [(m, route.path) for m in sorted(route.methods - {"HEAD", "OPTIONS"})]
    return found


def expected(rule: Rule, username: str | None, path: str) -> str:
    if username is None:
        if rule.roles != ANYONE:
            return "login"
        return "422" if rule.invalid else "404" if rule.missing else "ok"
    role, code = ALL_USERS[username]
    if rule.invalid == FIRST:
        return "422"
    if rule.role_first and rule.roles != ANYONE and role not in rule.roles:
        return "403"
    if rule.scoped and code is not None and not DESA_IN.startswith(code):
        return "404"
    if rule.roles != ANYONE and role not in rule.roles:
        return "403"
    return "422" if rule.invalid else "404" if rule.missing else "ok"


DESA_IN = "35.09.15.2001"


def outcome(response) -> str:
    status = response.status_code
    assert status < 500, response.text[:500]
    location = urlsplit(response.headers.get("location", "")).path
    if status == 401 or (300 <= status < 400 and location == "/masuk"):
        return "login"
    if status in (403, 404, 422):
        return str(status)
    return "ok"  # 2xx, another redirect, or a business refusal (400, 409, 429) after the checks


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def matrix_app(request, tmp_path_factory):
    """The app over a seeded database, once per backend (scope filters are SQL: both must agree)."""
    tmp = tmp_path_factory.mktemp("authz")
    if request.param == "sqlite":
        url = f"sqlite:///{tmp / 'siks.db'}"
    else:
        url = request.getfixturevalue("pg_server").create_database()
    with seeded_app(tmp, url, "uji-" + "x" * 40) as app:
        from workflow_support import _HASH

        with Session(app.state.engine, expire_on_commit=False) as s:
            for name, (role, code) in EXTRA_USERS.items():
                s.add(User(username=name, full_name=name, role=role, wilayah_code=code, password_hash=_HASH,
                           active=True))  # fmt: skip
            u = forced_usulan(s, app.state.seed, "diajukan", "desa")
            seed = app.state.seed
            app.state.path_ids = {
                "household_id": seed.households["R1"],
                "member_id": seed.members["R1-1"],
                "usulan_id": u.id,
                "batch_id": u.batch_id,
            }
            s.commit()
        yield app


def concrete(path: str, ids: dict[str, int]) -> str:
    def value(m: re.Match) -> str:
        name = m.group(1)
        return str(ids.get(name, FIXED_PATH_VALUES.get(name, MISSING_ID)))

    return re.sub(r"\{(\w+)(?::\w+)?\}", value, path)


def client(app, username: str | None) -> TestClient:
    c = TestClient(app, follow_redirects=False)
    if username is None:  # anonymous, but with a CSRF token: the matrix tests the roles, not CSRF
        c.headers["X-CSRF-Token"] = c.get("/api/v1/session").json()["csrf_token"]
    else:
        login(c, username, PASSWORD)
    return c


def call(c: TestClient, method: str, path: str, body: dict | None = None):
    if method == "GET":
        return c.get(path)
    if path.startswith("/api/"):
        return c.request(method, path, json=body or {})
    return c.request(method, path, data=body or {})


def _for(value, username: str | None):
    return value.replace("{u}", username or "anonim") if isinstance(value, str) else value


def test_every_route_has_a_policy(matrix_app):
    routes = set(endpoints(matrix_app))
    assert len(routes) > 100  # the table was read (a change in FastAPI's routing would show here)
    new = sorted(routes - set(POLICY))
    assert not new, "new routes need an entry in POLICY: " + "; ".join(f"{m} {p}" for m, p in new)
    assert sorted(set(POLICY) - routes) == [], "POLICY names routes that no longer exist"


@pytest.mark.parametrize("username", [*ALL_USERS, None])
def test_matrix(matrix_app, username):
    """One user (or anonymous) against every endpoint: all mismatches are reported together."""
    c = client(matrix_app, username)
    wrong = []
    for method, path in endpoints(matrix_app):
        rule = POLICY[(method, path)]
        if rule.session:
            continue  # test_session_endpoints
        url = concrete(path, matrix_app.state.path_ids)
        body = {k: _for(v, username) for k, v in (rule.body or {}).items()}
        got = outcome(call(c, method, url, body))
        want = expected(rule, username, path)
        if got != want:
            wrong.append(f"{method} {url} ({path}): {got}, policy says {want}")
    c.close()
    assert not wrong, "\n".join(wrong)


def test_session_endpoints(matrix_app):
    """The endpoints that change the caller's own session, each on a fresh client."""
    for method, path in (("POST", "/keluar"), ("DELETE", "/api/v1/session")):
        with client(matrix_app, None) as anon:  # logging out when not logged in: harmless, still anonymous
            assert outcome(call(anon, method, path)) in ("ok", "login")
            assert outcome(anon.get("/api/v1/me")) == "login"
    with client(matrix_app, None) as anon:
        assert anon.post("/api/v1/session", json={"username": "desa", "password": "salah"}).status_code == 401
    c = client(matrix_app, "desa")
    assert c.get("/api/v1/me").status_code == 200
    assert outcome(c.delete("/api/v1/session")) == "ok"
    assert outcome(c.get("/api/v1/me")) == "login"
    c.close()
    c = client(matrix_app, "kec")
    assert c.post("/keluar", data={}).status_code == 303
    assert outcome(c.get("/")) == "login"
    c.close()


def test_routes_that_validate_before_authorizing():
    """Routes whose empty body is refused before the role check: the matrix cannot assert their roles."""
    first = sorted(k for k, rule in POLICY.items() if rule.invalid == FIRST)
    assert len(first) == 18, first  # lower it as routes move the role check ahead of body validation
