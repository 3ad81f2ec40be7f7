"""siks's forms: XLSForm written from the instrument code lists, converted by pyxform, passed by ODK Validate
(the jar pyxform ships, run on Debian's JRE)."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook
from pyxform.validators.odk_validate import ODKValidateError

from siks.domain.fieldwork import HOUSEHOLD_RESULTS, household_fields, member_fields
from siks.domain.instruments import regsosek2022
from siks.odk import forms


@pytest.fixture(scope="module")
def catalog():
    return forms.catalog()


@pytest.mark.parametrize("form_id", [forms.VERVAL, forms.USULAN_BARU, forms.USULAN_BARU_PBDT])
def test_round_trip_through_pyxform_and_odk_validate(catalog, form_id):
    form = catalog[form_id]
    # The served XML is what pyxform makes of the .xlsx written for people to read and edit.
    book = load_workbook(io.BytesIO(form.xlsform.to_xlsx()))
    assert book.sheetnames == ["survey", "choices", "settings"]
    settings = dict(zip(*[[c.value for c in row] for row in book["settings"].iter_rows()], strict=True))
    assert settings["form_id"] == form_id and settings["version"] == form.version
    assert f'id="{form_id}"' in form.xml and f'version="{form.version}"' in form.xml
    assert forms.validate(form.xml) == []


def test_odk_validate_refuses_a_broken_form(catalog):
    broken = catalog[forms.VERVAL].xml.replace('constraint=". &lt;= today()"', 'constraint=". &lt;= ("', 1)
    assert broken != catalog[forms.VERVAL].xml
    with pytest.raises(ODKValidateError, match="invalid constraint expression"):
        forms.validate(broken)


def test_verval_form_asks_what_the_web_visit_form_asks(catalog):
    xf = catalog[forms.VERVAL].xlsform
    names = [r["name"] for r in xf.survey]
    for f in household_fields() + member_fields():
        assert f.key in names
    labels = {(c["list_name"], c["name"]): c["label"] for c in xf.choices}
    assert labels[("hasil_verivali", "6")] == HOUSEHOLD_RESULTS[6]
    assert labels[("jenis_lantai", "2")] == regsosek2022.JENIS_LANTAI.codes[2]
    assert labels[("keberadaan", "2")] == "Meninggal"
    row = {r["name"]: r for r in xf.survey}
    assert row["tugas"]["type"] == "select_one_from_file tugas.csv" and row["tugas"]["required"] == "yes"
    assert row["anggota_id"]["choice_filter"] == "tugas = ${tugas}"
    assert row["tanggal_kunjungan"]["constraint"] == ". <= today()"
    assert row["luas_lantai"]["constraint"].startswith(". >= ")


def test_registration_form_mirrors_the_usulan_rules(catalog):
    row = {r["name"]: r for r in catalog[forms.USULAN_BARU].xlsform.survey}
    assert row["nama"]["required"] == row["nik"]["required"] == row["tanggal_lahir"]["required"] == "yes"
    nik = row["nik"]["constraint"]
    assert (
        "regex(., '^[0-9]{16}$')" in nik
        and "!= '0000'" in nik
        and "+ 40" in nik
        and "${jenis_kelamin}" in nik
    )
    assert "NIK harus 16 angka" in row["nik"]["constraint_message"]
    assert row["periksa"]["constraint"] == "${jumlah_kepala} = 1"
    assert "today()" in row["tanggal_lahir"]["constraint"]
    assert re.search(r"\^\[0-9\]\{1,3\}\$", row["rt"]["constraint"])


def test_pbdt_form_uses_the_pbdt_code_lists(catalog):
    pb = catalog[forms.USULAN_BARU_PBDT]
    assert pb.title.endswith("(PBDT 2015)") and pb.version != catalog[forms.USULAN_BARU].version
    labels = {(c["list_name"], c["name"]): c["label"] for c in pb.xlsform.choices}
    assert labels[("hubungan_kk", "7")] == "Pembantu ruta" and labels[("status_kawin", "2")] == "Kawin"
    regsosek = {(c["list_name"], c["name"]): c["label"] for c in catalog[forms.USULAN_BARU].xlsform.choices}
    assert regsosek[("hubungan_kk", "7")] == regsosek2022.HUBUNGAN_KK.codes[7] == "Pembantu/sopir"


def test_version_follows_the_definition():
    a = forms.usulan_form()
    assert forms.usulan_form().settings["version"] == a.settings["version"]  # deterministic
    b = forms._Builder()
    b.q("text", "nama", "Nama")
    c = forms._Builder()
    c.q("text", "nama", "Nama lengkap")
    assert b.build("x", "X").settings["version"] != c.build("x", "X").settings["version"]


def test_cli_writes_and_validates_the_forms(tmp_path):
    from typer.testing import CliRunner

    from siks.cli import app

    r = CliRunner().invoke(app, ["odk", "formulir", "--keluar", str(tmp_path)])
    assert r.exit_code == 0, r.output
    assert r.output.count("lolos ODK Validate") == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"{f}.{ext}"
        for f in (forms.VERVAL, forms.USULAN_BARU, forms.USULAN_BARU_PBDT)
        for ext in ("xlsx", "xml")
    )
