"""Programs whose unit is a PPKS person outside households (unit ppks_orang, the shipped ATENSI LKS):
the candidates are the persons in the penetapan's frozen PPKS list, the same rule language selects them,
quotas rank the whole list before the viewer's wilayah cuts it, and the export masks NIK per role (both
databases)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from siks.domain import programs as rules
from siks.domain.eligibility import RuleError
from siks.penetapan import service as penetapan
from siks.penetapan.sources import Score, ScoreTable
from siks.ppks import service
from siks.programs import export
from siks.programs import service as programs
from workflow_support import DESA, DESA_B

SCORES = ScoreTable({"R1": Score(2), "R2": Score(7), "R3": Score(4)}, {"kind": "uji"})
DAY = dt.date(2025, 6, 1)
MARCH = dt.date(2025, 3, 1)
NIK_SARMI = "3509155203500001"  # perempuan, lahir 12-03-1950


def reg(kind, day="2025-01-15"):
    return {"jenis": kind, "tanggal": day, "bukti": "Asesmen"}


def _lks(session, actor, ref, desa):
    raw = {
        "jenis": "lks",
        "nama": f"Panti {ref}",
        "wilayah_code": desa,
        "nomor_tanda_daftar": "1",
        "ref": ref,
    }
    return service.create_psks(session, actor, raw, today=DAY)


def _person(session, actor, nama, lks=None, **extra):
    raw = {"nama": nama, "sex": 2, **({"lks_id": lks.id} if lks else {"tempat": "jalanan"}), **extra}
    return service.add_person(session, actor, raw, today=DAY)


@pytest.fixture
def world(wf_session, wf_seed, user, monkeypatch, tmp_path):
    """Jubung: Sarminah (lansia terlantar, in an LKS, NIK), Tukiyem (lansia terlantar ended in February),
    Paijo (anak jalanan, no LKS); Dukuhmencek: Wagiyem (penyandang disabilitas, in an LKS); a household
    member of R1 with lansia terlantar. Then a penetapan on 1 March 2025."""
    monkeypatch.setenv("SIKS_DATA_DIR", str(tmp_path))
    desa, desa_b = user("desa"), user("desa_out")
    home, home_b = _lks(wf_session, desa, "LKS-J", DESA), _lks(wf_session, desa_b, "LKS-D", DESA_B)
    sarmi = _person(
        wf_session, desa, "Sarminah", home, nik=NIK_SARMI, tanggal_lahir="1950-03-12", desa_code=DESA
    )
    tukiyem = _person(wf_session, desa, "Tukiyem", home, tanggal_lahir="1948-01-02", desa_code=DESA)
    paijo = _person(wf_session, desa, "Paijo", None, desa_code=DESA)
    wagiyem = _person(wf_session, desa_b, "Wagiyem", home_b, desa_code=DESA_B)
    service.register(wf_session, desa, "ppks", sarmi.id, reg("lansia_terlantar"), today=DAY)
    ended = service.register(wf_session, desa, "ppks", tukiyem.id, reg("lansia_terlantar"), today=DAY)
    service.end_registration(wf_session, desa, ended.id, "salah_data", on=dt.date(2025, 2, 1))
    service.register(wf_session, desa, "ppks", paijo.id, reg("anak_jalanan"), today=DAY)
    service.register(wf_session, desa_b, "ppks", wagiyem.id, reg("penyandang_disabilitas"), today=DAY)
    service.register(wf_session, desa, "anggota", wf_seed.members["R1-1"], reg("lansia_terlantar"), today=DAY)
    p = penetapan.create(
        wf_session, user("supkab"), title="DTKS Maret 2025", periode="2025-03", berlaku_mulai=MARCH,
        scores=SCORES,
    )  # fmt: skip
    refs = {"sarmi": sarmi.ref, "tukiyem": tukiyem.ref, "paijo": paijo.ref, "wagiyem": wagiyem.ref}
    return p, refs


def _refs(plist):
    return sorted(r.entitlement.unit_ref for r in plist.rows)


def test_atensi_lks_selects_lks_residents_with_an_open_kind_and_no_household_member(
    wf_session, wf_seed, user, world
):
    p, refs = world
    atensi = rules.default_program("atensi_lks")
    assert atensi.unit == "ppks_orang"
    plist = programs.run(wf_session, user("opkab"), atensi, p.id)
    # Tukiyem's kind ended before the penetapan; Paijo is not in an LKS; R1-K1-1 is a household member
    assert _refs(plist) == sorted([refs["sarmi"], refs["wagiyem"]])
    assert "R1-K1-1" not in _refs(plist)
    assert all(r.family is None and r.in_quota for r in plist.rows)
    assert plist.not_eligible == 1  # Paijo (Tukiyem is not in the penetapan's list at all)


def test_rules_see_age_sex_place_and_wilayah(wf_session, wf_seed, user, world):
    p, refs = world

    def run(eligible):
        doc = {"format": "siks-program/1", "code": "uji", "unit": "ppks_orang", "eligible": eligible}
        return _refs(programs.run(wf_session, user("opkab"), rules.program_from_dict(doc), p.id))

    assert run({"field": "umur", "op": ">=", "value": 60}) == [refs["sarmi"]]  # 74 on 1 March 2025
    assert run({"field": "umur", "op": ">=", "value": 75}) == []
    assert run({"field": "tempat", "op": "=", "value": "jalanan"}) == [refs["paijo"]]
    assert run({"field": "lks", "op": "=", "value": "LKS-D"}) == [refs["wagiyem"]]
    assert run({"field": "disabilitas", "op": "=", "value": True}) == [refs["wagiyem"]]
    assert run({"field": "kode_desa", "op": "=", "value": DESA_B.replace(".", "")}) == [refs["wagiyem"]]
    both = {
        "and": [
            {"field": "jenis_kelamin", "op": "=", "value": 2},
            {"field": "dtks", "op": "=", "value": True},
        ]
    }
    assert len(run(both)) == 3
    # a household rule field (desil) is empty for a person outside households: false, not an error
    assert run({"field": "desil", "op": "<=", "value": 10}) == []


def test_scope_cuts_the_view_after_the_quota_ranks_the_whole_list(wf_session, wf_seed, user, world):
    p, refs = world
    atensi = rules.default_program("atensi_lks")
    assert _refs(programs.run(wf_session, user("desa"), atensi, p.id)) == [refs["sarmi"]]
    assert _refs(programs.run(wf_session, user("desa_out"), atensi, p.id)) == [refs["wagiyem"]]
    assert _refs(programs.run(wf_session, user("kec_out"), atensi, p.id)) == []
    assert _refs(programs.run(wf_session, user("opkab"), atensi, p.id, desa_code=DESA_B)) == [refs["wagiyem"]]

    # one place for the whole kecamatan: ranked over the whole list (desa order), so the Dukuhmencek
    # operator sees Wagiyem as cadangan even though Jubung's resident is outside their view
    from dataclasses import replace

    quota = replace(atensi, quota={"35.09.15": 1})
    seen = programs.run(wf_session, user("desa_out"), quota, p.id)
    assert [(r.entitlement.unit_ref, r.in_quota) for r in seen.rows] == [(refs["wagiyem"], False)]
    mine = programs.run(wf_session, user("desa"), quota, p.id)
    assert [(r.entitlement.unit_ref, r.in_quota) for r in mine.rows] == [(refs["sarmi"], True)]


def test_export_columns_and_nik_masked_per_role(wf_session, wf_seed, user, world):
    p, refs = world
    atensi = rules.default_program("atensi_lks")
    full = programs.run(wf_session, user("opkab"), atensi, p.id, desa_code=DESA)
    rows = list(csv.DictReader(io.StringIO(export.to_csv(full))))
    assert tuple(rows[0]) == export.PPKS_COLUMNS
    assert rows == [
        {
            "kode_wilayah": DESA, "desa": rows[0]["desa"], "lks_tempat": "LKS-J Panti LKS-J",
            "id_ppks": refs["sarmi"], "nama": "Sarminah", "nik": NIK_SARMI, "jenis_kelamin": "P",
            "tanggal_lahir": "1950-03-12", "jenis_ppks": "Lanjut usia terlantar", "program": "ATENSI LKS",
            "status_program": "Layak",
        }
    ]  # fmt: skip
    assert rows[0]["desa"] and rows[0]["desa"] != DESA  # the desa's name
    masked = programs.run(wf_session, user("pengesah"), atensi, p.id, desa_code=DESA)
    (row,) = export.rows(masked)
    assert row["nik"] == "3509********0001"
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(export.to_xlsx(full))).active
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert tuple(values[1]) == export.PPKS_COLUMNS
    assert values[2][3] == refs["sarmi"]


def test_a_ppks_orang_program_refuses_components():
    doc = {
        "format": "siks-program/1", "code": "uji", "unit": "ppks_orang",
        "eligible": {"field": "ppks_lansia_terlantar", "op": "=", "value": True},
        "components": [{"code": "x", "amount": 1, "when": {"field": "umur", "op": ">=", "value": 60}}],
    }  # fmt: skip
    with pytest.raises(RuleError, match="ppks_orang tidak memakai komponen"):
        rules.program_from_dict(doc)
