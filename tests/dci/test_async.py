"""Async search with callback, txn status (sync and async), subscribe / notify / unsubscribe.

Callbacks go over real HTTP to a receiver on 127.0.0.1; every callback is validated against the spec's
on-search / txn/on-status / on-subscribe / notify / on-unsubscribe request schemas, and its signature and
bearer token are checked against siks's published JWKS.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dci.support import BASE, DESA, DESA_OTHER_KEC, now_ts, predicate, search_message
from siks.accounts import service as accounts
from siks.audit import record_change
from siks.dci import service, trust
from siks.dci.api import post_json
from siks.registry.lookup import update_household_address
from siks.store.db import session_factory
from siks.store.models.registry import STATUS_INACTIVE, Family, Household, Member

PREFIX = "/agensi"


@pytest.fixture(scope="module")
def siks_jwks(http):
    return http.get(f"{BASE}/.well-known/jwks.json").json()


@pytest.fixture
def inbox(receiver, social_spec, siks_jwks, http):
    """The callbacks that arrive from here on, each checked against the spec, signature and token."""
    seen = [len(receiver.received)]

    def wait(count: int) -> list[tuple[str, dict]]:
        got = receiver.wait(seen[0] + count)[seen[0] :]
        assert len(got) == count, got
        seen[0] += count
        out = []
        for path, body, headers in got:
            assert path.startswith(PREFIX)
            path = path[len(PREFIX) :]
            social_spec.check_request(path, body, headers={"Authorization": headers["Authorization"]})
            assert trust.verify(body["signature"], body["header"], body["message"], "siks", siks_jwks)
            bearer = headers["Authorization"].removeprefix("Bearer ")
            public = trust.import_key(siks_jwks["keys"][0])
            claims = trust.read_token(public, bearer, callback=True)
            assert claims["sub"] == body["header"]["receiver_id"]
            out.append((path, body))
        return out

    return wait


def test_async_search_acks_then_posts_on_search(agencies, call, inbox, receiver):
    bpjs = agencies["bpjs"]
    msg = search_message({"query_type": "predicate", "query": predicate(("age", "ge", 60))})
    got = call(bpjs, "/registry/search", bpjs.envelope("search", msg, sender_uri=receiver.url))
    assert got.status_code == 200
    ack = got.json()["message"]
    assert ack["ack_status"] == "ACK"
    ((path, body),) = inbox(1)
    assert path == "/registry/on-search" and body["header"]["action"] == "on-search"
    assert body["header"]["receiver_id"] == "bpjs"
    message = body["message"]
    assert (
        message["correlation_id"] == ack["correlation_id"]
        and message["transaction_id"] == msg["transaction_id"]
    )
    (answer,) = message["search_response"]
    assert {r["group_identifier"][0]["identifier_value"] for r in answer["data"]["reg_records"]} == {"H2"}


def test_a_callback_token_cannot_call_the_api(agencies, call, receiver, http):
    bpjs = agencies["bpjs"]
    msg = search_message({"query_type": "predicate", "query": predicate(("age", "ge", 60))})
    call(bpjs, "/registry/search", bpjs.envelope("search", msg, sender_uri=receiver.url))
    _, _, headers = receiver.wait(1)[-1]
    got = http.post(
        f"{BASE}/registry/sync/search",
        json=bpjs.envelope("search", msg),
        headers={"Authorization": headers["Authorization"]},
    )
    assert got.status_code == 401 and got.json()["errors"][0]["code"] == "err.request.unauthorized"


def test_sender_uri_outside_the_registered_callback_is_refused(agencies, call):
    bpjs = agencies["bpjs"]
    msg = search_message({"query_type": "predicate", "query": predicate(("age", "ge", 60))})
    got = call(bpjs, "/registry/search", bpjs.envelope("search", msg, sender_uri="http://169.254.169.254/x"))
    assert got.status_code == 400
    assert got.json()["message"]["ack_status"] == "ERR"
    assert got.json()["message"]["error"]["code"] == "err.sender_uri.invalid"


def _status_request(attribute_type: str, value) -> dict:
    return {
        "transaction_id": uuid.uuid4().hex[:20],
        "txnstatus_request": {
            "reference_id": "status-1",
            "txn_type": "search",
            "attribute_type": attribute_type,
            "attribute_value": value,
        },
    }


def test_txn_status_sync_and_async(agencies, call, inbox, receiver):
    bpjs = agencies["bpjs"]
    msg = search_message({"query_type": "predicate", "query": predicate(("age", "ge", 60))})
    searched = call(bpjs, "/registry/sync/search", bpjs.envelope("search", msg)).json()["message"]

    got = call(
        bpjs,
        "/registry/sync/txn/status",
        bpjs.envelope("txn-status", _status_request("transaction_id", msg["transaction_id"])),
    )
    status = got.json()["message"]["txnstatus_response"]
    assert status["txn_type"] == "search" and status["txn_status"] == searched

    by_refs = call(
        bpjs,
        "/registry/sync/txn/status",
        bpjs.envelope("txn-status", _status_request("reference_id_list", ["ref-1"])),
    )
    assert by_refs.json()["message"]["txnstatus_response"]["txn_status"]["search_response"][0][
        "reference_id"
    ] == ("ref-1")

    unknown = call(
        bpjs,
        "/registry/sync/txn/status",
        bpjs.envelope("txn-status", _status_request("correlation_id", "tidak-ada")),
    )
    assert unknown.json()["header"]["status"] == "rjct" and "message" not in unknown.json()

    other = agencies["bank"]  # another client cannot read BPJS's transaction
    theirs = call(
        other,
        "/registry/sync/txn/status",
        other.envelope("txn-status", _status_request("transaction_id", msg["transaction_id"])),
    )
    assert theirs.json()["header"]["status"] == "rjct"

    acked = call(
        bpjs,
        "/registry/txn/status",
        bpjs.envelope(
            "txn-status",
            _status_request("correlation_id", searched["correlation_id"]),
            sender_uri=receiver.url,
        ),
    )
    assert acked.json()["message"]["ack_status"] == "ACK"
    ((path, body),) = inbox(1)
    assert path == "/registry/txn/on-status"
    assert body["message"]["txnstatus_response"]["txn_status"]["correlation_id"] == searched["correlation_id"]


def _subscribe_message(event: str, filter_query) -> dict:
    return {
        "transaction_id": uuid.uuid4().hex[:20],
        "subscribe_request": [
            {
                "reference_id": "sub-ref-1",
                "timestamp": now_ts(),
                "subscribe_criteria": {
                    "reg_event_type": event,
                    "filter_type": "predicate",
                    "filter": filter_query,
                    "notify_record_type": "Group",
                },
            }
        ],
    }


def _registry_changes(engine) -> None:
    """A new ruta in the filter, one outside it, an address corrected, and a ruta made nonaktif."""
    with Session(engine) as session, session.begin():
        for ref, desa in (("H6", DESA), ("H7", DESA_OTHER_KEC)):
            h = Household(ref=ref, desa_code=desa, alamat=f"Jl. Baru {ref}")
            session.add(h)
            session.flush()
            f = Family(ref=f"{ref}-K1", household_id=h.id)
            session.add(f)
            session.flush()
            m = Member(ref=f"{ref}-K1-1", family_id=f.id, no_urut=1, nama="Warga Baru", sex=2, hubungan_kk=1)
            session.add(m)
            session.flush()
            record_change(
                session, "usulan", "household", h.id, None, {"ref": ref, "desa_code": desa}, "usulan baru"
            )
            record_change(session, "usulan", "member", m.id, None, {"ref": m.ref}, "usulan baru")
        operator = accounts.create_user(
            session, "opkab-dci", "rahasia-uji-123", "operator_kabupaten", "35.09"
        )
        h2 = session.scalar(select(Household).where(Household.ref == "H2"))
        update_household_address(session, operator, h2.id, {"alamat": "Jl. Melati 9"}, "salah ketik alamat")
        h1 = session.scalar(select(Household).where(Household.ref == "H1"))
        h1.status = STATUS_INACTIVE
        record_change(
            session,
            "usulan",
            "household",
            h1.id,
            {"status": "aktif"},
            {"status": STATUS_INACTIVE},
            "pindah ke luar wilayah",
        )


def test_subscribe_notify_unsubscribe(agencies, call, inbox, receiver, dci_engine, http):
    bpjs = agencies["bpjs"]
    env = bpjs.envelope(
        "subscribe",
        _subscribe_message("ALL", predicate(("location", "eq", "35.09.15"))),
        sender_uri=receiver.url,
    )
    assert call(bpjs, "/registry/subscribe", env).json()["message"]["ack_status"] == "ACK"
    ((path, body),) = inbox(1)
    assert path == "/registry/on-subscribe"
    (answer,) = body["message"]["subscribe_response"]
    assert answer["status"] == "succ"
    code = answer["subscriptions"][0]["code"]

    _registry_changes(dci_engine)
    key = trust.load_signing_key()  # the app's key file (SIKS_DCI_KEY_FILE, set by the `http` fixture)
    factory = session_factory(dci_engine)
    assert service.notify(factory, key, "siks", post_json).sent == 1
    ((path, body),) = inbox(1)
    assert path == "/registry/notify"
    events = {
        (e["data"]["event_type"], e["data"]["reg_records"]["group_identifier"][0]["identifier_value"])
        for e in body["message"]["notify_event"]
    }
    assert events == {("REGISTER", "H6"), ("UPDATE", "H2"), ("DELETE", "H1")}  # not H7: other kecamatan
    register = next(e for e in body["message"]["notify_event"] if e["data"]["event_type"] == "REGISTER")
    assert register["data"]["reg_event_type"] == "REGISTER"
    assert service.notify(factory, key, "siks", post_json).sent == 0  # the cursor moved

    gone = {"transaction_id": "u-1", "timestamp": now_ts(), "subscription_codes": [code]}
    call(bpjs, "/registry/unsubscribe", bpjs.envelope("unsubscribe", gone, sender_uri=receiver.url))
    ((path, body),) = inbox(1)
    assert path == "/registry/on-unsubscribe" and body["message"]["status"] == "succ"
    assert body["message"]["subscription_status"] == [{"code": code, "status": "unsubscribe"}]

    unknown = {"transaction_id": "u-2", "timestamp": now_ts(), "subscription_codes": ["sub-bukan-milik"]}
    call(bpjs, "/registry/unsubscribe", bpjs.envelope("unsubscribe", unknown, sender_uri=receiver.url))
    ((_, body),) = inbox(1)
    assert body["message"]["status"] == "rjct"
    assert body["message"]["status_reason_code"] == "rjct.subscription_code.invalid"


def test_subscribe_refuses_unknown_events_and_filters(agencies, call, inbox, receiver):
    bpjs = agencies["bpjs"]
    bad_event = _subscribe_message("LiveBirth", predicate(("age", "lt", 5)))
    call(bpjs, "/registry/subscribe", bpjs.envelope("subscribe", bad_event, sender_uri=receiver.url))
    bad_filter = _subscribe_message("REGISTER", predicate(("penghasilan", "lt", 5)))
    call(bpjs, "/registry/subscribe", bpjs.envelope("subscribe", bad_filter, sender_uri=receiver.url))
    first, second = inbox(2)
    reasons = [b["message"]["subscribe_response"][0]["status_reason_code"] for _, b in (first, second)]
    assert reasons == ["rjct.notify_types.invalid", "rjct.notify_details.invalid"]
