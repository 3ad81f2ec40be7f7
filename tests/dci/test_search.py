"""Social Registry search over HTTP: the three query types, records, scope, fields, pagination, errors.

Every request and response is validated against social_api_v1.0.0.yaml by the `call` fixture.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dci.support import DESA, DESA_B, kk_of, nik_of, predicate, search_message
from siks.store.models.registry import AuditEntry

SYNC = "/registry/sync/search"


def _one(got) -> dict:
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["header"]["action"] == "on-search" and body["header"]["status"] == "succ"
    (answer,) = body["message"]["search_response"]
    return answer


def _group_ids(answer) -> set[str]:
    return {r["group_identifier"][0]["identifier_value"] for r in answer["data"]["reg_records"]}


def test_idtype_value_nik_finds_the_household_with_its_members(agencies, call):
    bpjs = agencies["bpjs"]
    msg = search_message({"query_type": "idtype-value", "query": {"type": "NIK", "value": nik_of("H1", 2)}})
    answer = _one(call(bpjs, SYNC, bpjs.envelope("search", msg)))
    assert answer["status"] == "succ" and answer["reference_id"] == "ref-1"
    (group,) = answer["data"]["reg_records"]
    assert answer["data"]["reg_record_type"] == "Group"
    assert group["group_identifier"][0]["identifier_value"] == "H1"
    assert group["location"] == DESA and group["group_size"] == 3
    assert group["poverty_score"] == 2.1 and group["desil"] == 1
    assert group["group_head_info"]["demographic_info"]["name"]["given_name"] == "Budi Santoso"
    niks = [m["demographic_info"]["identifier"][0]["identifier_value"] for m in group["members"]]
    assert niks == [nik_of("H1", n) for n in (1, 2, 3)]
    assert answer["pagination"] == {"page_size": 100, "page_number": 1, "total_count": 1}


def test_idtype_value_kk_and_household_id_as_member_records(agencies, call):
    bpjs = agencies["bpjs"]
    msg = search_message(
        {
            "query_type": "idtype-value",
            "query": {"type": "KK", "value": kk_of("H2")},
            "response_entity": "Member",
        },
        {
            "query_type": "idtype-value",
            "query": {"type": "HOUSEHOLD_ID", "value": "H3"},
            "reg_record_type": "Person",
        },
    )
    got = call(bpjs, SYNC, bpjs.envelope("search", msg, total_count=2))
    first, second = got.json()["message"]["search_response"]
    assert [m["member_identifier"][0]["identifier_value"] for m in first["data"]["reg_records"]] == [
        "H2-K1-1",
        "H2-K1-2",
    ]
    assert first["data"]["reg_records"][0]["demographic_info"]["sex"] == "male"
    persons = second["data"]["reg_records"]
    assert second["data"]["reg_record_type"] == "Person" and len(persons) == 4
    assert {p["birth_date"] for p in persons} >= {"1980-01-01", "2015-01-01"}


def test_predicate_age_and_poverty_score(agencies, call):
    bpjs = agencies["bpjs"]
    young_poor = predicate(("age", "lt", 25), ("poverty_score", "lt", 5))
    answer = _one(
        call(
            bpjs,
            SYNC,
            bpjs.envelope(
                "search",
                search_message({"query_type": "predicate", "query": young_poor, "response_entity": "Member"}),
            ),
        )
    )
    names = {m["demographic_info"]["name"]["given_name"] for m in answer["data"]["reg_records"]}
    assert names == {"Ani Lestari", "Joko"}  # H3's children are young but not poor; H4 is out of scope


def test_predicate_conditions_or_not_and_in(agencies, call):
    bpjs = agencies["bpjs"]
    either = predicate(("desil", "eq", 1), ("desil", "eq", 6), condition="or")
    but_not = predicate(("sex", "eq", "female"), ("age", "lt", 30), condition="not")
    listed = predicate(("location", "in", f"{DESA_B},35.09.16"))
    msg = search_message(*({"query_type": "predicate", "query": q} for q in (either, but_not, listed)))
    got = call(bpjs, SYNC, bpjs.envelope("search", msg, total_count=3))
    a, b, c = got.json()["message"]["search_response"]
    assert _group_ids(a) == {"H1", "H3"}
    assert _group_ids(b) == {"H1", "H3"}  # women of 30 and over: Siti (H1), Sri (H3)
    assert _group_ids(c) == {"H2", "H3"}


def test_expression_subset(agencies, call):
    bpjs = agencies["bpjs"]
    query = {
        "type": "ns:org:QueryType:expression",
        "value": {
            "expression": {
                "collection": "Group",
                "query": {
                    "$and": [
                        {"poverty_score": {"$lt": 5}},
                        {"location": {"$eq": "35.09.15"}},
                        {"group_size": {"$lt": 3}},
                    ]
                },
            }
        },
    }
    answer = _one(
        call(
            bpjs, SYNC, bpjs.envelope("search", search_message({"query_type": "expression", "query": query}))
        )
    )
    assert _group_ids(answer) == {"H2"}
    query["value"]["expression"]["query"] = {"$or": [{"desil": 6}, {"$not": {"group_size": {"$gte": 2}}}]}
    answer = _one(
        call(
            bpjs, SYNC, bpjs.envelope("search", search_message({"query_type": "expression", "query": query}))
        )
    )
    assert _group_ids(answer) == {"H3"}  # H4 (one member) is outside the client's kabupaten


def test_pagination_and_sort(agencies, call):
    bpjs = agencies["bpjs"]
    everyone = predicate(("age", "ge", 0))
    pages = []
    for number in (1, 2):
        crit = {
            "query_type": "predicate",
            "query": everyone,
            "pagination": {"page_size": 2, "page_number": number},
            "sort": [{"attribute_name": "poverty_score", "sort_order": "desc"}],
        }
        pages.append(_one(call(bpjs, SYNC, bpjs.envelope("search", search_message(crit)))))
    assert [_group_ids(p) for p in pages] == [{"H3", "H2"}, {"H1"}]
    assert [r["poverty_score"] for r in pages[0]["data"]["reg_records"]] == [7.0, 4.4]
    assert pages[1]["pagination"] == {"page_size": 2, "page_number": 2, "total_count": 3}


def test_scope_and_fields_bound_what_a_client_sees(agencies, call):
    bank = agencies["bank"]  # Kecamatan Sukorambi; fields nama, wilayah, jumlah_art; signs with RS256
    answer = _one(
        call(
            bank,
            SYNC,
            bank.envelope(
                "search",
                search_message({"query_type": "predicate", "query": predicate(("group_size", "ge", 1))}),
            ),
        )
    )
    assert _group_ids(answer) == {"H1", "H2"}  # not H3 (other kecamatan), not H5 (nonaktif)
    group = next(
        r for r in answer["data"]["reg_records"] if r["group_identifier"][0]["identifier_value"] == "H1"
    )
    assert "poverty_score" not in group and "desil" not in group and "place" not in group
    person = group["members"][0]["demographic_info"]
    assert person["name"]["given_name"] == "Budi Santoso"
    assert "identifier" not in person and "birth_date" not in person and "sex" not in person


@pytest.mark.parametrize(
    ("criteria", "reason", "words"),
    [
        (
            {"query_type": "predicate", "query": predicate(("income", "lt", 5))},
            "rjct.search_criteria.invalid",
            "Atribut 'income' tidak dikenal",
        ),
        (
            {
                "query_type": "predicate",
                "query": predicate(("age", "lt", 25)),
                "pagination": {"page_size": 5000},
            },
            "rjct.pagination.invalid",
            "page_size",
        ),
        (
            {"query_type": "predicate", "query": predicate(("location", "eq", "35.10"))},
            "rjct.search_criteria.invalid",
            "di luar cakupan",
        ),
        (
            {
                "query_type": "predicate",
                "query": predicate(("age", "lt", 25)),
                "sort": [{"attribute_name": "nama", "sort_order": "asc"}],
            },
            "rjct.sort.invalid",
            "Urutan 'nama'",
        ),
        (
            {"query_type": "idtype-value", "query": {"type": "PASPOR", "value": "A1"}},
            "rjct.search_criteria.invalid",
            "PASPOR",
        ),
        (
            {
                "query_type": "expression",
                "query": {"type": "x", "value": {"expression": {"query": {"$where": "1=1"}}}},
            },
            "rjct.search_criteria.invalid",
            "$where",
        ),
    ],
)
def test_refused_queries_answer_rjct_with_the_spec_reason(agencies, call, criteria, reason, words):
    bpjs = agencies["bpjs"]
    got = call(bpjs, SYNC, bpjs.envelope("search", search_message(criteria)))
    (answer,) = got.json()["message"]["search_response"]
    assert answer["status"] == "rjct" and answer["status_reason_code"] == reason
    assert words in answer["status_reason_message"] and "data" not in answer


def test_a_client_may_not_filter_on_fields_it_cannot_see(agencies, call):
    bank = agencies["bank"]
    got = call(
        bank,
        SYNC,
        bank.envelope(
            "search",
            search_message(
                {"query_type": "predicate", "query": predicate(("desil", "le", 2))},
                {"query_type": "idtype-value", "query": {"type": "NIK", "value": nik_of("H1", 1)}},
            ),
            total_count=2,
        ),
    )
    for answer in got.json()["message"]["search_response"]:
        assert answer["status"] == "rjct" and "tidak berhak" in answer["status_reason_message"]


def test_every_search_is_audited(agencies, call, dci_engine):
    bpjs = agencies["bpjs"]
    env = bpjs.envelope(
        "search",
        search_message({"query_type": "idtype-value", "query": {"type": "NIK", "value": nik_of("H2", 1)}}),
    )
    call(bpjs, SYNC, env)
    with Session(dci_engine) as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "dci_search").order_by(AuditEntry.id.desc())
        ).first()
    assert entry.actor == "dci:bpjs"
    assert entry.after["message_id"] == env["header"]["message_id"]
    assert entry.after["requests"][0]["records"] == 1
    assert entry.at.date() == dt.date.today() or entry.at.date() >= dt.date.today() - dt.timedelta(days=1)


def test_group_size_list_never_drives_the_ruta_lookup_on_sqlite(dci_engine, agencies):
    """The expression bench's regression: SQLite joined the ruta by (ref, id IN list) and walked the whole
    group_size list for every ruta (N×N/2 probes). The plan of every statement of such a search must
    look the ruta up by ref or id alone. PostgreSQL hashes the list (no plan to check there): on both, the
    search still finds the same ruta."""
    from sqlalchemy import event

    from siks.dci import service
    from siks.store.models.dci import DciClient

    criteria = {
        "query_type": "expression",
        "query": {
            "type": "e",
            "value": {
                "expression": {
                    "collection": "Group",
                    "query": {
                        "$and": [
                            {"desil": {"$lte": 2}},
                            {"location": "35.09.15"},
                            {"group_size": {"$gte": 2}},
                        ]
                    },
                }
            },
        },
    }
    seen: list[tuple[str, object]] = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    with Session(dci_engine) as session:
        client = session.scalar(select(DciClient).where(DciClient.client_id == "bpjs"))
        event.listen(dci_engine, "before_cursor_execute", keep)
        try:
            _, records, page = service.find(session, client, criteria, dt.date(2026, 12, 7))
        finally:
            event.remove(dci_engine, "before_cursor_execute", keep)
        assert page["total_count"] == len(records) >= 1
        if dci_engine.dialect.name != "sqlite":
            return
        plans = [
            row[3]
            for statement, parameters in seen
            for row in session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
        ]
    household = [p for p in plans if p.startswith("SEARCH household")]
    assert household and not [p for p in household if "rowid=?" in p and "ref=?" in p], plans
