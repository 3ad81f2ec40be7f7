"""Readable everywhere (#18.6): pages and CLI lines show Indonesian numbers and dates, the audit trail shows
labels and values a person reads, a styled Indonesian 500 page, a pager on the paket list, a favicon,
labelled evidence in `verval explain`, and a progress bar on import counted in Indonesian numbers."""

from __future__ import annotations

import datetime as dt
import html
import re
import warnings

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from siks import audit
from siks.store.models.usulan import UsulanBatch
from web.support import DESA, make_client

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.filterwarnings("ignore:.*httpx.*")

ENGLISH_NUMBER = re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3})+(?![\d,])")  # 1,234 or 12,345,678
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


def visible_text(page: str) -> str:
    """What a person reads: no tags, attributes, scripts, styles or form values."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    page = re.sub(r"<[^>]+>", " ", page)
    return html.unescape(page)


def test_audit_trail_shows_labels_and_readable_values(sqlite_engine, client_for):
    seed = sqlite_engine.seed
    with Session(sqlite_engine) as s, s.begin():
        audit.record_change(
            s, "uji", "household", seed.households["R1"],
            {"wilayah_code": "35.09.15.2001", "active": True, "sex": 1, "tanggal_lahir": "1979-08-02",
             "luas_lantai": 1234},
            {"wilayah_code": "35.09.15.2002", "active": False, "sex": 2, "tanggal_lahir": "1979-08-12",
             "luas_lantai": 36},
            "uji keterbacaan",
        )  # fmt: skip
    page = client_for("opkab").get("/audit")
    assert page.status_code == 200
    text = visible_text(page.text)
    shown_words = ["Kode wilayah", "Aktif", "Ya", "Tidak", "Jenis kelamin", "Laki-laki", "Perempuan",
                   "Tanggal lahir", "2 Agustus 1979", "12 Agustus 1979", "1.234", "Sukorambi"]  # fmt: skip
    for shown in shown_words:
        assert shown in text, shown
    for raw in ("wilayah_code", "True", "False", "1979-08-02"):
        assert raw not in text, raw


@pytest.fixture
def crashing_app(sqlite_engine):
    from siks.web.app import create_app

    app = create_app(sqlite_engine, secret_key="uji-" + "y" * 40)

    @app.get("/uji-galat", include_in_schema=False)
    def boom():
        raise RuntimeError("rusak")

    @app.get("/api/v1/uji-galat", include_in_schema=False)
    def boom_api():
        raise RuntimeError("rusak")

    return app


def test_server_error_is_a_styled_indonesian_page(crashing_app):
    c = TestClient(crashing_app, raise_server_exceptions=False)
    page = c.get("/uji-galat")
    assert page.status_code == 500 and page.headers["content-type"].startswith("text/html")
    assert "Galat pada server" in page.text and "Kode rujukan" in page.text
    assert "/static/siks.css" in page.text and "rusak" not in page.text and "Traceback" not in page.text
    api = c.get("/api/v1/uji-galat")
    assert api.status_code == 500 and api.json()["code"] == "galat_server"
    assert "Kode rujukan" in api.json()["detail"]


def test_favicon_is_served(app):
    c = make_client(app)
    assert 'rel="icon" href="/static/favicon.svg"' in c.get("/masuk").text
    r = c.get("/favicon.ico", follow_redirects=False)
    assert r.status_code == 301 and r.headers["location"] == "/static/favicon.svg"
    icon = c.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    assert icon.text.startswith("<svg")


def test_paket_list_has_a_pager(sqlite_engine, client_for):
    with Session(sqlite_engine) as s, s.begin():
        s.add_all(UsulanBatch(desa_code=DESA, title=f"Musdes uji {i}", status="draf") for i in range(25))
    c = client_for("desa")
    first = c.get("/usulan/paket")
    assert 'href="/usulan/paket?halaman=2"' in first.text and "Sebelumnya" not in first.text
    second = c.get("/usulan/paket?halaman=2")
    assert 'href="/usulan/paket?halaman=1"' in second.text
    titles = set(re.findall(r"Musdes uji \d+", first.text)) | set(re.findall(r"Musdes uji \d+", second.text))
    assert len(titles) == 25  # page 2 goes on where page 1 stopped, nothing skipped


PAGES = ["/", "/audit", "/usulan", "/usulan/paket", "/penetapan", "/program", "/dasbor", "/ppks",
         "/verval-lapangan", "/ganda", "/sinkronisasi", "/odk-collect"]  # fmt: skip


def test_pages_show_no_english_numbers_or_iso_dates(client_for, sqlite_engine):
    seed = sqlite_engine.seed
    c = client_for("opkab")
    pages = [*PAGES, f"/ruta/{seed.households['R1']}"]
    for path in pages:
        r = c.get(path)
        assert r.status_code == 200, path
        text = visible_text(r.text)
        assert not ENGLISH_NUMBER.findall(text), (path, ENGLISH_NUMBER.findall(text))
        assert not ISO_DATE.findall(text), (path, ISO_DATE.findall(text))


def test_explain_prints_evidence_as_labelled_lines():
    from siks.verval.cli import evidence_lines

    lines = evidence_lines(
        '{"jenis_kelamin": 2, "tanggal_lahir": "1979-08-02", "jumlah_art": 1234, "asn": true}'
    )
    assert lines == [
        "bukti:",
        "  Jenis kelamin: Perempuan",
        "  Tanggal lahir: 2 Agustus 1979",
        "  Jumlah art: 1.234",
        "  Asn: Ya",
    ]
    assert evidence_lines("{}") == [] and evidence_lines(None) == []


def test_import_cli_counts_in_indonesian_numbers(tmp_path, monkeypatch):
    from siks.cli import app
    from siks.registry import sample
    from siks.registry.importer import import_file
    from siks.store.db import make_engine

    monkeypatch.setenv("SIKS_DATABASE_URL", f"sqlite:///{tmp_path / 'siks.db'}")
    monkeypatch.setenv("COLUMNS", "200")
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    rows = sample.records(1100, seed=7)
    path = sample.write_rows(rows, tmp_path / "besar.csv")
    out = runner.invoke(app, ["import", str(path)])
    assert out.exit_code == 0, out.output
    assert "1.100 baris" in out.output and not ENGLISH_NUMBER.findall(out.output), out.output
    assert re.search(r"\d+,\d detik", out.output), out.output  # a decimal comma
    seen: list[tuple[str, int, int]] = []
    again = sample.write_rows(rows[:40], tmp_path / "kecil.csv")
    import_file(
        make_engine(f"sqlite:///{tmp_path / 'siks.db'}"),
        again,
        "uji",
        progress=lambda stage, d, n: seen.append((stage, d, n)),
    )
    assert ("memeriksa", 40, 40) in seen and seen[-1][1:] == (40, 40)


def test_dates_on_pages_are_indonesian(client_for, sqlite_engine):
    seed = sqlite_engine.seed
    text = visible_text(client_for("opkab").get(f"/ruta/{seed.households['R1']}").text)
    assert "14 Maret 1975" in text
    assert dt.date(1975, 3, 14).isoformat() not in text
