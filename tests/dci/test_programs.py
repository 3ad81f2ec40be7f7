"""Per-program scope (#14.2): a client for program X sees only the people on X's frozen list, within its
wilayah and fields; every request and response is validated against social_api_v1.0.0.yaml (`call`)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dci.support import nik_of, predicate, register, search_message
from siks.dci.programs import set_programs
from siks.domain.programs import default_program
from siks.errors import Invalid, NotFound
from siks.store.models.dci import DciClientProgram
from siks.store.models.registry import AuditEntry

SYNC = "/registry/sync/search"
EVERYONE = {"query_type": "predicate", "query": predicate(("group_size", "ge", 1))}


def _answer(got) -> dict:
    assert got.status_code == 200, got.text
    (answer,) = got.json()["message"]["search_response"]
    assert answer["status"] == "succ", answer
    return answer


def _groups(answer) -> set[str]:
    return {r["group_identifier"][0]["identifier_value"] for r in answer["data"]["reg_records"]}


def test_a_program_client_sees_only_the_households_on_its_list(agencies, call):
    pkh = agencies["pkh"]  # BPNT with desil_max 1 over the penetapan
    answer = _answer(call(pkh, SYNC, pkh.envelope("search", search_message(EVERYONE))))
    # H2 (desil 3) and H3 (not in DTKS) are in its wilayah but not on the list; H5 is on it but nonaktif
    assert _groups(answer) == {"H1"}
    assert answer["pagination"]["total_count"] == 1


def test_a_person_outside_the_program_is_simply_not_found(agencies, call):
    pkh, bpjs = agencies["pkh"], agencies["bpjs"]
    msg = {"query_type": "idtype-value", "query": {"type": "NIK", "value": nik_of("H2", 1)}}
    outside = _answer(call(pkh, SYNC, pkh.envelope("search", search_message(msg))))
    assert outside["data"]["reg_records"] == [] and outside["pagination"]["total_count"] == 0
    # the same NIK is there for an agency without program scope: the empty answer is the scope, not the data
    assert _groups(_answer(call(bpjs, SYNC, bpjs.envelope("search", search_message(msg))))) == {"H2"}


def test_a_program_client_still_gets_only_its_fields_and_its_refusals(dci_engine, agencies, http, call):
    with Session(dci_engine, expire_on_commit=False) as session, session.begin():
        narrow = register(
            session, "bpnt-nama", fields=["nama", "jumlah_art"], programs=[("bpnt", {"desil_max": 1})]
        )
    _token(http, narrow)
    answer = _answer(call(narrow, SYNC, narrow.envelope("search", search_message(EVERYONE))))
    (group,) = answer["data"]["reg_records"]
    person = group["members"][0]["demographic_info"]
    assert person["name"]["given_name"] == "Budi Santoso" and "identifier" not in person
    refused = call(
        narrow,
        SYNC,
        narrow.envelope(
            "search", search_message({"query_type": "predicate", "query": predicate(("desil", "le", 4))})
        ),
    )
    (item,) = refused.json()["message"]["search_response"]
    assert item["status"] == "rjct" and item["status_reason_code"] == "rjct.search_criteria.invalid"
    assert "desil" in item["status_reason_message"]


def test_changing_the_programs_changes_the_view_and_is_audited(dci_engine, agencies, http, call):
    with Session(dci_engine, expire_on_commit=False) as session, session.begin():
        agency = register(session, "bpnt-jember", programs=[("bpnt", {"desil_max": 1})])
    _token(http, agency)
    assert _groups(_answer(call(agency, SYNC, agency.envelope("search", search_message(EVERYONE))))) == {"H1"}
    with Session(dci_engine) as session, session.begin():
        (cp,) = set_programs(session, "admin-uji", "bpnt-jember", [default_program("bpnt")])
        assert cp.units == 4  # H1, H2, H4, H5: desil ≤ 4 and in DTKS, over the whole list
    assert _groups(_answer(call(agency, SYNC, agency.envelope("search", search_message(EVERYONE))))) == {
        "H1",
        "H2",
    }  # H4 lies outside the client's wilayah (35.09), H5 is nonaktif
    with Session(dci_engine) as session:
        entry = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity == "dci_client", AuditEntry.reason == "program klien DCI")
            .order_by(AuditEntry.id.desc())
        ).first()
        assert (
            entry.before["program"]["bpnt"]["unit"] == 2
        )  # H1, H5 and entry.after["program"]["bpnt"]["unit"] == 4
        stored = session.scalars(select(DciClientProgram).where(DciClientProgram.program == "bpnt")).all()
        assert {cp.params["desil_max"] for cp in stored} >= {1, 4}


def test_an_anggota_program_lists_people_not_households(dci_engine, agencies, http, call):
    with Session(dci_engine, expire_on_commit=False) as session, session.begin():
        agency = register(session, "pbi-jember", programs=[("pbi_jk", {"desil_max": 1})])
    _token(http, agency)
    msg = dict(EVERYONE, response_entity="Member")
    answer = _answer(call(agency, SYNC, agency.envelope("search", search_message(msg))))
    members = {r["member_identifier"][0]["identifier_value"] for r in answer["data"]["reg_records"]}
    assert members == {"H1-K1-1", "H1-K1-2", "H1-K1-3"}


def test_unknown_programs_and_penetapan_are_refused_in_indonesian(dci_engine, agencies):
    with Session(dci_engine) as session, session.begin():
        with pytest.raises(NotFound, match="Penetapan 999 tidak ada"):
            set_programs(session, "admin-uji", "pkh", [default_program("bpnt")], penetapan_id=999)
        with pytest.raises(NotFound, match="Klien 'tidak-ada' tidak terdaftar"):
            set_programs(session, "admin-uji", "tidak-ada", [default_program("bpnt")])
        with pytest.raises(Invalid, match="hanya boleh disebut sekali"):
            set_programs(session, "admin-uji", "pkh", [default_program("bpnt"), default_program("bpnt")])
        session.rollback()


def _token(http, agency) -> None:
    got = http.post(
        "/dci/oauth2/client/token",
        data={
            "grant_type": "client_credentials",
            "client_id": agency.client_id,
            "client_secret": agency.secret,
        },
    )
    assert got.status_code == 200, got.text
    agency.token = got.json()["access_token"]
