"""Import in the browser (issue #18.1): upload → check → preview → confirm, scope, report, audit, CSRF.

The service runs on both databases (`web_engine`); the pages over HTTP on SQLite (`client_for`).
"""

from __future__ import annotations

import csv
import io

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv  # noqa: F401 - pa.csv
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siks.accounts.service import Actor
from siks.domain.status import UploadStatus
from siks.errors import Conflict, Forbidden, NotFound
from siks.registry import sample, web_import
from siks.store.models.registry import AuditEntry, Household, ImportBatch, Member, WebImport
from web.support import DESA, DESA_B, user


def _csv(n: int, seed: int, prefix: str, desa: str = DESA, others: dict[int, str] | None = None) -> bytes:
    """Template rows, every ruta in `desa` except the ruta numbers in `others` (ruta index → desa)."""
    t = sample.rows(n, seed=seed, prefix=prefix)
    ruta = t.column("id_ruta").to_pylist()
    order = {r: i for i, r in enumerate(dict.fromkeys(ruta))}
    codes = [(others or {}).get(order[r], desa) for r in ruta]
    t = t.set_column(t.schema.get_field_index("kode_desa"), "kode_desa", pa.array(codes))
    buf = io.BytesIO()
    pa.csv.write_csv(t, buf)
    return buf.getvalue()


def _actor(engine, name: str) -> Actor:
    with Session(engine) as s:
        return Actor.of(user(s, name))


def _view(engine, who: Actor, upload_id: int):
    web_import.wait(upload_id)
    with Session(engine) as s:
        return web_import.get(s, who, upload_id)


def _count(engine, model, *where) -> int:
    with Session(engine) as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


# --- the service, both databases --------------------------------------------------------------------------


def test_check_preview_confirm_writes_once(web_engine):
    desa = _actor(web_engine, "desa")
    data = _csv(40, seed=3, prefix="WA")
    before = _count(web_engine, Member)
    uid = web_import.upload(web_engine, desa, "desa_jubung.csv", data)
    v = _view(web_engine, desa, uid)
    assert v.status == UploadStatus.SIAP and v.errors == [] and v.rows == 40
    assert v.summary["baru"] == 40 and v.summary["berubah"] == 0
    assert _count(web_engine, Member) == before  # the check wrote nothing
    assert (
        _count(web_engine, ImportBatch, ImportBatch.sha256 == web_import.hashlib.sha256(data).hexdigest())
        == 0
    )

    web_import.confirm(web_engine, desa, uid)
    v = _view(web_engine, desa, uid)
    assert v.status == UploadStatus.DIMUAT and v.import_batch_id and v.summary["baru"] == 40
    assert _count(web_engine, Member) == before + 40
    with Session(web_engine) as s:
        assert s.get(WebImport, uid).content is None  # not kept once written
        batch = s.get(ImportBatch, v.import_batch_id)
        assert (batch.actor, batch.file_name, batch.inserted) == ("desa", "desa_jubung.csv", 40)
        actions = s.scalars(
            select(AuditEntry.action).where(AuditEntry.entity == "web_import", AuditEntry.entity_id == uid)
        ).all()
    assert actions == ["unggah", "periksa", "setujui", "impor"]
    try:  # a confirmed upload cannot be confirmed again
        web_import.confirm(web_engine, desa, uid)
        raise AssertionError("confirmed twice")
    except Conflict:
        pass

    again = web_import.upload(
        web_engine, desa, "lagi.csv", data
    )  # the same bytes: idempotent, as `siks import`
    v = _view(web_engine, desa, again)
    assert v.status == UploadStatus.SUDAH_DIMUAT and v.summary["impor_sebelumnya"] == batch.id
    assert _count(web_engine, Member) == before + 40


def test_rows_outside_the_desa_are_row_errors_and_nothing_is_written(web_engine):
    desa = _actor(web_engine, "desa")
    data = _csv(30, seed=4, prefix="WB", others={1: DESA_B})
    before = _count(web_engine, Member)
    uid = web_import.upload(web_engine, desa, "campur.csv", data)
    v = _view(web_engine, desa, uid)
    assert v.status == UploadStatus.DITOLAK
    outside = [i for i in v.errors if i.code == "OUT_OF_SCOPE"]
    text = csv.DictReader(io.StringIO(data.decode()))
    expected = [n for n, r in enumerate(text, start=2) if r["kode_desa"] == DESA_B]
    assert [i.row for i in outside] == expected and expected
    assert "di luar wilayah Anda" in outside[0].message and outside[0].field == "kode_desa"
    assert _count(web_engine, Member) == before
    try:
        web_import.confirm(web_engine, desa, uid)
        raise AssertionError("a rejected file was confirmed")
    except Conflict:
        pass
    # the kabupaten operator may import the same file: both desa are theirs
    opkab = _actor(web_engine, "opkab")
    v = _view(web_engine, opkab, web_import.upload(web_engine, opkab, "campur.csv", data))
    assert v.status == UploadStatus.SIAP and v.summary["baru"] == 30


def test_a_row_may_not_move_a_ruta_recorded_in_another_desa(web_engine):
    """The file says Jubung, but ruta RB is recorded in Dukuhmencek: not the desa operator's to change."""
    desa = _actor(web_engine, "desa")
    t = sample.rows(12, seed=9)
    t = t.filter(pc.equal(t.column("id_keluarga"), t.column("id_keluarga")[0]))  # one valid keluarga
    for name, value in (("id_ruta", "RB"), ("id_keluarga", "RB-K1"), ("kode_desa", DESA)):
        t = t.set_column(t.schema.get_field_index(name), name, pa.array([value] * t.num_rows))
    buf = io.BytesIO()
    pa.csv.write_csv(t, buf)
    v = _view(web_engine, desa, web_import.upload(web_engine, desa, "pindah.csv", buf.getvalue()))
    assert v.status == UploadStatus.DITOLAK, v.issues
    outside = [i for i in v.errors if i.code == "OUT_OF_SCOPE"]
    assert [i.row for i in outside] == [2] and "ruta RB tercatat di desa 35.09.15.2002" in outside[0].message
    with Session(web_engine) as s:
        assert s.scalar(select(Household.desa_code).where(Household.ref == "RB")) == DESA_B


def test_who_may_upload_see_and_confirm(web_engine):
    data = _csv(10, seed=5, prefix="WC")
    for name in ("kec", "supkab", "enum", "auditor"):
        try:
            web_import.upload(web_engine, _actor(web_engine, name), "x.csv", data)
            raise AssertionError(f"{name} uploaded")
        except Forbidden:
            pass
    desa = _actor(web_engine, "desa")
    uid = web_import.upload(web_engine, desa, "x.csv", data)
    web_import.wait(uid)
    for name in ("desa_out", "opkab_out"):
        try:
            _view(web_engine, _actor(web_engine, name), uid)
            raise AssertionError(f"{name} saw another desa's upload")
        except NotFound:
            pass
    opkab = _actor(web_engine, "opkab")
    assert _view(web_engine, opkab, uid).file_name == "x.csv"  # the kabupaten sees its desa's uploads
    try:
        web_import.confirm(web_engine, opkab, uid)  # but only the uploader confirms
        raise AssertionError("confirmed someone else's upload")
    except NotFound:
        pass
    web_import.cancel(web_engine, desa, uid)
    assert _view(web_engine, desa, uid).status == UploadStatus.DIBATALKAN


# --- the pages, SQLite --------------------------------------------------------------------------------------


def test_pages_scope_report_and_csrf(client_for, app):
    desa = client_for("desa")
    page = desa.get("/impor")
    assert page.status_code == 200 and 'name="berkas"' in page.text and "Impor berkas" in page.text
    assert client_for("supkab").get("/impor").status_code == 403
    assert "/impor" not in client_for("supkab").get("/").text  # no menu item that answers 403

    data = _csv(25, seed=6, prefix="WD", others={0: DESA_B})
    r = desa.post("/impor", files={"berkas": ("campur.csv", data, "text/csv")}, follow_redirects=False)
    assert r.status_code == 303
    uid = int(r.headers["location"].rsplit("/", 1)[1])
    web_import.wait(uid)
    page = desa.get(f"/impor/{uid}").text
    assert "Berkas ditolak" in page and "OUT_OF_SCOPE" in page and "Simpan ke registri" not in page
    report = desa.get(f"/impor/{uid}/laporan.csv")
    assert report.status_code == 200 and "attachment" in report.headers["content-disposition"]
    lines = list(csv.DictReader(io.StringIO(report.content.decode("utf-8-sig"))))
    assert {ln["kode"] for ln in lines} >= {"OUT_OF_SCOPE"} and lines[0]["tingkat"] == "galat"
    xlsx = load_workbook(io.BytesIO(desa.get(f"/impor/{uid}/laporan.xlsx").content)).active
    values = list(xlsx.iter_rows(values_only=True))
    assert values[0][:3] == ("baris", "kolom", "kode") and len(values) == len(lines) + 1
    assert client_for("desa_out").get(f"/impor/{uid}").status_code == 404
    assert client_for("desa_out").get(f"/impor/{uid}/laporan.csv").status_code == 404

    no_token = client_for("desa")
    del no_token.headers["X-CSRF-Token"]
    r = no_token.post("/impor", files={"berkas": ("x.csv", data, "text/csv")})
    assert r.status_code == 403
    r = desa.post("/impor", files={"berkas": ("gambar.png", b"\x89PNG....", "image/png")})
    assert r.status_code == 422 and "CSV, XLSX atau Parquet" in r.text


def test_template_download(client_for):
    desa = client_for("desa")
    r = desa.get("/impor/template.xlsx?instrumen=PBDT2015")
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.content)).active
    assert "id_ruta" in [c.value for c in next(ws.iter_rows(max_row=1))]
    assert desa.get("/impor/template.csv").text.lstrip("\ufeff").startswith("id_ruta")


def test_progress_is_reported_per_part(web_engine, monkeypatch):
    """A long file is checked in parts; the page's numbers come from the importer's progress calls."""
    seen: list[tuple[str, int, int]] = []
    real = web_import.import_file

    def spy(*args, progress=None, **kw):
        def record(stage, done, total):
            seen.append((stage, done, total))
            progress(stage, done, total)

        return real(*args, progress=record, **kw)

    monkeypatch.setattr(web_import, "import_file", spy)
    monkeypatch.setattr(web_import, "PART_ROWS", 50)
    desa = _actor(web_engine, "desa")
    v = _view(
        web_engine, desa, web_import.upload(web_engine, desa, "panjang.csv", _csv(400, seed=8, prefix="WE"))
    )
    assert v.status == UploadStatus.SIAP
    checked = [done for stage, done, total in seen if stage == "memeriksa" and total == 400]
    assert len(checked) >= 5 and checked == sorted(checked) and checked[-1] == 400


def test_the_body_limit_and_the_xlsx_limits_still_apply(client_for, sqlite_engine, monkeypatch, tmp_path):
    from registry.test_bad_inputs import BASE, HEADERS, _xlsx
    from registry.test_readers_hostile import _shared_strings, _with_member
    from siks.web.app import create_app
    from web.support import make_client
    from workflow_support import login

    desa = client_for("desa")
    src = _xlsx(tmp_path / "src.xlsx", BASE)
    strings = _shared_strings(*[h.encode() for h in HEADERS], b"X" * 200_000)
    bomb = _with_member(src, tmp_path / "bomb.xlsx", "xl/sharedStrings.xml", strings).read_bytes()
    r = desa.post(
        "/impor", files={"berkas": ("bom.xlsx", bomb, "application/octet-stream")}, follow_redirects=False
    )
    uid = int(r.headers["location"].rsplit("/", 1)[1])
    web_import.wait(uid)
    page = desa.get(f"/impor/{uid}").text
    assert "Berkas ditolak" in page and "XLSX_TOO_BIG" in page

    monkeypatch.setenv("SIKS_MAX_BODY_MB", "0.05")  # 50 KB for this app
    small = login(make_client(create_app(sqlite_engine, secret_key="uji-" + "y" * 40)), "desa")
    r = small.post("/impor", files={"berkas": ("besar.csv", _csv(600, seed=7, prefix="WF"), "text/csv")})
    assert r.status_code == 413
    small.close()
