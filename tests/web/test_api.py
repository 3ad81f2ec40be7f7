"""The same scope rules through HTTP: JSON API and pages. Out of scope is 404, never 403."""

from __future__ import annotations

import pytest

from siks.domain.roles import EDIT_REGISTRY, has_permission
from web.support import HOUSEHOLDS, USERS, make_client, nik_for

pytestmark = pytest.mark.filterwarnings("ignore:.*httpx.*")


def _in_scope(username: str, desa: str) -> bool:
    code = USERS[username][1]
    return code is None or desa == code or desa.startswith(code + ".")


@pytest.mark.parametrize("username", list(USERS))
def test_api_household_read_and_write_by_role(client_for, sqlite_engine, username):
    client = client_for(username)
    seed = sqlite_engine.seed
    can_edit = has_permission(USERS[username][0], EDIT_REGISTRY)
    for ref, desa in HOUSEHOLDS.items():
        hid = seed.households[ref]
        r = client.get(f"/api/v1/households/{hid}")
        patch = client.patch(f"/api/v1/households/{hid}", json={"dusun": "Krajan", "reason": "uji api"})
        page = client.get(f"/ruta/{hid}")
        if _in_scope(username, desa):
            assert r.status_code == 200 and r.json()["ref"] == ref
            assert page.status_code == 200
            # in scope: allowed (no change → 422) or forbidden by role
            assert patch.status_code == (422 if can_edit else 403), patch.text
        else:
            assert r.status_code == 404 and r.json()["code"] == "tidak_ditemukan"
            assert patch.status_code == 404
            assert page.status_code == 404
            assert "di luar wilayah" in page.text


@pytest.mark.parametrize("username", ["desa", "kec", "opkab", "prov", "pusat", "auditor", "desa_out"])
def test_api_search_obeys_scope(client_for, username):
    client = client_for(username)
    r = client.post("/api/v1/search", json={"query": "budi santoso", "per_page": 100})
    assert r.status_code == 200
    got = {p["household_ref"] for p in r.json()["persons"]}
    assert got == {ref for ref, desa in HOUSEHOLDS.items() if _in_scope(username, desa)}
    r = client.post("/api/v1/search", json={"query": nik_for("RX", 1)})
    assert (len(r.json()["persons"]) == 1) == _in_scope(username, HOUSEHOLDS["RX"])


def test_api_write_changes_and_is_audited(client_for, sqlite_engine):
    client = client_for("kec")
    hid = sqlite_engine.seed.households["RB"]
    before = client.get(f"/api/v1/households/{hid}").json()
    r = client.patch(
        f"/api/v1/households/{hid}", json={"rt": "9", "reason": "pindah RT", "version": before["version"]}
    )
    assert r.status_code == 200, r.text
    assert r.json()["rt"] == "009"
    stale = client.patch(
        f"/api/v1/households/{hid}", json={"rt": "10", "reason": "pindah lagi", "version": before["version"]}
    )
    assert stale.status_code == 409
    history = client.get(f"/api/v1/households/{hid}/audit").json()
    assert (
        history[0]["actor"] == "kec"
        and history[0]["after"] == {"rt": "009"}
        and history[0]["reason"] == "pindah RT"
    )


def test_api_needs_login(app):
    with make_client(app) as anon:
        assert anon.get("/api/v1/me").status_code == 401
        assert anon.get("/api/v1/households/1").status_code == 401
        page = anon.get("/ruta/1", follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"].startswith("/masuk")


def test_openapi_lists_the_api_only(app):
    with make_client(app) as c:
        spec = c.get("/api/v1/openapi.json").json()
    paths = set(spec["paths"])
    assert "/api/v1/search" in paths and "/api/v1/households/{household_id}" in paths
    assert all(p.startswith("/api/v1/") for p in paths)


def test_html_search_and_household_page(client_for, sqlite_engine):
    client = client_for("desa")
    csrf = client.headers["X-CSRF-Token"]
    r = client.post("/cari", data={"q": "siti aminah", "csrf_token": csrf})
    assert r.status_code == 200 and "Siti Aminah R1" in r.text and "Siti Aminah RB" not in r.text
    r = client.post("/cari", data={"q": "12", "csrf_token": csrf})
    assert r.status_code == 422 and "16 digit" in r.text
    hid = sqlite_engine.seed.households["R1"]
    page = client.get(f"/ruta/{hid}")
    assert (
        "Riwayat nomor KK" in page.text and "Riwayat pendataan" in page.text and "Temuan verval" in page.text
    )


def test_security_headers(client_for):
    r = client_for("desa").get("/")
    assert r.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"


def test_household_page_shows_latest_verval_findings(client_for, sqlite_engine):
    hid = sqlite_engine.seed.households["R1"]
    data = client_for("desa").get(f"/api/v1/households/{hid}").json()
    assert data["verval_run"]["id"] == "uji-baru"
    codes = {f["code"]: f for f in data["findings"]}
    assert set(codes) == {"NIK_SEX_MISMATCH", "PMT_SPARSE_ANSWERS"}
    assert codes["NIK_SEX_MISMATCH"]["subject"] == "Siti Aminah R1"
    assert nik_for("R1", 2) in codes["NIK_SEX_MISMATCH"]["explanation"]
    masked = client_for("auditor").get(f"/api/v1/households/{hid}").json()
    assert nik_for("R1", 2) not in str(masked["findings"])
    page = client_for("desa").get(f"/ruta/{hid}").text
    assert "menunjukkan laki-laki" in page and "Temuan lama" not in page


def test_api_name_search_follows_the_cursor(client_for):
    client = client_for("pusat")
    everyone = client.post("/api/v1/search", json={"query": "budi santoso", "per_page": 100}).json()
    assert everyone["next"] is None and not everyone["has_next"]
    walked, after, page = [], None, 1
    while True:
        body = {"query": "budi santoso", "per_page": 1} | ({"after": after} if after else {})
        r = client.post("/api/v1/search", json=body).json()
        assert r["page"] == page
        walked += [p["member_id"] for p in r["persons"]]
        if not r["has_next"]:
            break
        after, page = r["next"], page + 1
    assert walked == [p["member_id"] for p in everyone["persons"]] and page == len(walked) > 1
    assert client.post("/api/v1/search", json={"query": "budi santoso", "page": 1}).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"query": "budi santoso", "after": "bukan-penanda"},
        {"query": "budi santoso", "page": 2},  # old clients: a page number past 1 needs the cursor
    ],
)
def test_api_bad_cursor_is_400_in_indonesian(client_for, body):
    r = client_for("pusat").post("/api/v1/search", json=body)
    assert r.status_code == 400 and r.json()["code"] == "penanda_halaman_tidak_valid"
    assert "halaman" in r.json()["detail"].lower()


def test_api_cursor_of_another_query_is_refused(client_for):
    client = client_for("pusat")
    token = client.post("/api/v1/search", json={"query": "budi santoso", "per_page": 1}).json()["next"]
    r = client.post("/api/v1/search", json={"query": "siti aminah", "per_page": 1, "after": token})
    assert r.status_code == 400


def test_openapi_describes_the_cursor(app):
    with make_client(app) as c:
        schemas = c.get("/api/v1/openapi.json").json()["components"]["schemas"]
    assert "after" in schemas["SearchIn"]["properties"] and "next" in schemas["SearchOut"]["properties"]


def test_html_search_pages_by_cursor_and_back(client_for):
    client = client_for("pusat")
    csrf = client.headers["X-CSRF-Token"]
    first = client.post("/api/v1/search", json={"query": "budi santoso", "per_page": 1}).json()
    r = client.post(
        "/cari", data={"q": "budi santoso", "setelah": first["next"], "jejak": "-", "csrf_token": csrf}
    )
    assert r.status_code == 200 and "Halaman 2" in r.text
    assert first["persons"][0]["nama"] not in r.text.split("Halaman 2")[0].split("<tbody>")[-1]
    assert 'name="setelah" value=""' in r.text and "Sebelumnya" in r.text  # back to page 1
    r = client.post("/cari", data={"q": "budi santoso", "setelah": "palsu", "jejak": "-", "csrf_token": csrf})
    assert r.status_code == 400 and "Penanda halaman" in r.text
    r = client.post("/cari", data={"q": "budi santoso", "csrf_token": csrf})
    assert r.status_code == 200 and "Sebelumnya" not in r.text and "Berikutnya" not in r.text
