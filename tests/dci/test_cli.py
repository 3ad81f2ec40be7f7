"""`siks dci …`: onboarding an agency from the command line, as docs/dci.md describes, end to end."""

from __future__ import annotations

import json
import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from dci.support import register, seed_registry
from siks.cli import app
from siks.store.db import make_engine, upgrade
from siks.store.models.dci import DciProgramMember
from siks.store.models.registry import AuditEntry
from siks.web.app import create_app


def run(*args: str, env: dict | None = None):
    return CliRunner(env={"COLUMNS": "200", **(env or {})}).invoke(app, ["dci", *args])


def test_onboard_an_agency_and_use_the_secret(db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("SIKS_DCI_KEY_FILE", str(tmp_path / "siks.jwk"))
    upgrade(db_url)
    made = run("kunci-baru", str(tmp_path / "bank.jwk"))
    assert made.exit_code == 0, made.output
    public = json.loads(made.output)
    assert "d" not in public["keys"][0]
    (tmp_path / "bank-jwks.json").write_text(json.dumps(public))
    added = run(
        "klien-tambah",
        "bank-jatim",
        "--nama",
        "Bank Jatim",
        "--jwks",
        str(tmp_path / "bank-jwks.json"),
        "--kolom",
        "nama,wilayah,jumlah_art",
        "--wilayah",
        "35.09",
        "--batas",
        "30",
        "--callback",
        "https://bank.example/dci",
        "--oleh",
        "admin",
        "--db",
        db_url,
    )
    assert added.exit_code == 0, added.output
    secret = re.search(r"client_secret .*: (\S+)", added.output).group(1)
    listed = run("klien-daftar", "--db", db_url)
    assert listed.output.split() == [
        "bank-jatim",
        "Bank",
        "Jatim",
        "35.09",
        "jumlah_art,nama,wilayah",
        "30/menit",
        "aktif",
    ]

    again = run(
        "klien-tambah",
        "bank-jatim",
        "--nama",
        "x",
        "--jwks",
        str(tmp_path / "bank-jwks.json"),
        "--kolom",
        "nik",
        "--oleh",
        "admin",
        "--db",
        db_url,
    )
    assert again.exit_code == 1 and "sudah terdaftar" in again.output
    wrong = run(
        "klien-tambah",
        "opd-x",
        "--nama",
        "x",
        "--jwks",
        str(tmp_path / "bank-jwks.json"),
        "--kolom",
        "penghasilan",
        "--oleh",
        "admin",
        "--db",
        db_url,
    )
    assert wrong.exit_code == 1 and "Kolom tidak dikenal: penghasilan" in wrong.output

    engine = make_engine(db_url)
    with TestClient(create_app(engine, secret_key="uji")) as http:
        got = http.post(
            "/dci/oauth2/client/token",
            data={"grant_type": "client_credentials", "client_id": "bank-jatim", "client_secret": secret},
        )
        assert got.status_code == 200 and got.json()["access_token"]
        jwks = http.get("/dci/.well-known/jwks.json").json()
    printed = run("kunci")
    assert json.loads(printed.output) == jwks  # the CLI and the endpoint publish the same key
    with Session(engine) as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.entity == "dci_client")).first()
    assert entry.actor == "admin" and entry.after["client_id"] == "bank-jatim"
    sent = run("kirim-notifikasi", "--db", db_url)
    assert sent.exit_code == 0
    assert sent.output.split(",")[0] == "0 langganan menerima notifikasi"
    engine.dispose()


def test_scope_a_client_to_a_program_list(db_url, tmp_path):
    upgrade(db_url)
    engine = make_engine(db_url)
    with Session(engine) as session, session.begin():
        seed_registry(session)
        register(session, "bpnt-jember")
    common = ("--oleh", "admin", "--db", db_url)
    narrow = run("klien-program", "bpnt-jember", "--program", "bpnt", "--param", "desil_max=1", *common)
    assert narrow.exit_code == 0, narrow.output
    assert "Program bpnt (bpnt@" in narrow.output and "dari penetapan 1: 2 unit." in narrow.output
    listed = run("klien-daftar", "--db", db_url)
    assert listed.output.split()[-1] == "program:bpnt"
    with Session(engine) as session:
        members = session.scalars(select(DciProgramMember.household_ref).distinct()).all()
    assert sorted(members) == ["H1", "H5"]
    unknown = run("klien-program", "bpnt-jember", "--program", "kip", *common)
    assert unknown.exit_code == 1 and "Program 'kip' tidak dikenal" in unknown.output
    cleared = run("klien-program", "bpnt-jember", *common)
    assert cleared.exit_code == 0 and "tidak lagi dibatasi program" in cleared.output
    with Session(engine) as session:
        assert session.scalars(select(DciProgramMember)).all() == []
    engine.dispose()
