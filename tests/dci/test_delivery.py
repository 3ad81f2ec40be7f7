"""notify delivery (#14): due events reach the subscriber over real HTTP, every attempt is logged in
`dci_delivery`, a failed delivery is retried on schedule without losing events, and a program-scoped
subscriber hears only of people on its program list. Every notify callback is validated against the spec's
notify request schema, its signature and its bearer token (`inbox`, as in test_async)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from dci.support import BASE, now_ts, predicate, register
from siks.audit import record_change
from siks.cli import app
from siks.dci import service, trust
from siks.dci.api import post_json
from siks.store.db import session_factory
from siks.store.models.dci import DciDelivery, DciSubscription
from siks.store.models.registry import Household

PREFIX = "/agensi"


@pytest.fixture(scope="module")
def siks_jwks(http):
    return http.get(f"{BASE}/.well-known/jwks.json").json()


@pytest.fixture
def inbox(receiver, social_spec, siks_jwks):
    seen = [len(receiver.received)]

    def wait(count: int) -> list[tuple[str, dict]]:
        got = receiver.wait(seen[0] + count, timeout=5)[seen[0] :]
        assert len(got) == count, got
        seen[0] += count
        out = []
        for path, body, headers in got:
            path = path.removeprefix(PREFIX)
            social_spec.check_request(path, body, headers={"Authorization": headers["Authorization"]})
            assert trust.verify(body["signature"], body["header"], body["message"], "siks", siks_jwks)
            public = trust.import_key(siks_jwks["keys"][0])
            bearer = headers["Authorization"].removeprefix("Bearer ")
            assert trust.read_token(public, bearer, callback=True)["sub"] == body["header"]["receiver_id"]
            out.append((path, body))
        return out

    return wait


def _subscribe(call, agency, receiver, inbox, event: str = "UPDATE") -> str:
    message = {
        "transaction_id": uuid.uuid4().hex[:20],
        "subscribe_request": [
            {
                "reference_id": "langganan-1",
                "timestamp": now_ts(),
                "subscribe_criteria": {
                    "reg_event_type": event,
                    "filter_type": "predicate",
                    "filter": predicate(("location", "eq", "35.09.15")),
                    "notify_record_type": "Group",
                },
            }
        ],
    }
    env = agency.envelope("subscribe", message, sender_uri=receiver.url)
    assert call(agency, "/registry/subscribe", env).json()["message"]["ack_status"] == "ACK"
    ((path, body),) = inbox(1)
    assert path == "/registry/on-subscribe"
    return body["message"]["subscribe_response"][0]["subscriptions"][0]["code"]


def _touch(engine, *refs: str) -> None:
    """An audited address correction of each ruta: an UPDATE event."""
    with Session(engine) as session, session.begin():
        for ref in refs:
            h = session.scalar(select(Household).where(Household.ref == ref))
            before, h.alamat = h.alamat, f"{h.alamat} (perbaikan {uuid.uuid4().hex[:4]})"
            record_change(session, "uji", "household", h.id, {"alamat": before}, {"alamat": h.alamat}, "uji")


def _token(http, agency) -> None:
    form = {"grant_type": "client_credentials", "client_id": agency.client_id, "client_secret": agency.secret}
    agency.token = http.post(f"{BASE}/oauth2/client/token", data=form).json()["access_token"]


def _quiet_others(engine, keep: str) -> None:
    """Other tests' subscriptions of this module's database stop, so counts here are this test's."""
    with Session(engine) as session, session.begin():
        for sub in session.scalars(select(DciSubscription).where(DciSubscription.code != keep)):
            sub.status = "unsubscribe"


def test_a_failed_delivery_is_logged_and_retried_on_schedule(dci_engine, http, call, receiver, inbox):
    with Session(dci_engine, expire_on_commit=False) as session, session.begin():
        agency = register(session, "dinsos-kab", callback_uri=receiver.url)
    _token(http, agency)
    code = _subscribe(call, agency, receiver, inbox)
    _quiet_others(dci_engine, code)
    _touch(dci_engine, "H2")
    factory, key = session_factory(dci_engine), trust.load_signing_key()
    t0 = dt.datetime.now(dt.UTC)

    receiver.failures["/registry/notify"] = 1  # the agency is down once
    assert service.notify(factory, key, "siks", post_json, now=t0) == service.NotifyReport(0, 1, 0)
    assert service.notify(factory, key, "siks", post_json, now=t0 + dt.timedelta(seconds=30)) == (
        service.NotifyReport(0, 0, 1)  # waits for its retry time
    )
    _touch(dci_engine, "H1")  # a new event meanwhile travels with the retried one
    assert service.notify(factory, key, "siks", post_json, now=t0 + dt.timedelta(seconds=61)).sent == 1
    ((path, body),) = inbox(1)
    assert path == "/registry/notify"
    refs = [
        e["data"]["reg_records"]["group_identifier"][0]["identifier_value"]
        for e in body["message"]["notify_event"]
    ]
    assert refs == ["H2", "H1"]
    assert service.notify(factory, key, "siks", post_json, now=t0 + dt.timedelta(minutes=2)).sent == 0

    with Session(dci_engine) as session:
        sub = session.scalar(select(DciSubscription).where(DciSubscription.code == code))
        log = session.scalars(
            select(DciDelivery).where(DciDelivery.subscription_id == sub.id).order_by(DciDelivery.id)
        ).all()
    assert [(d.attempt, d.http_status, d.ok, d.error) for d in log] == [
        (1, 503, False, "HTTP 503"),
        (2, 200, True, None),
    ]
    assert log[0].next_try_at is not None and log[1].next_try_at is None
    assert log[0].cursor_from == log[1].cursor_from  # the same events, none skipped

    shown = CliRunner().invoke(
        app, ["dci", "notifikasi-log", "--db", str(dci_engine.url.render_as_string(False))]
    )
    assert shown.exit_code == 0, shown.output
    lines = [line for line in shown.output.splitlines() if code in line]
    newest, first = (" ".join(line.split()) for line in lines)
    assert newest.endswith("2 peristiwa percobaan 2 terkirim")
    assert "1 peristiwa percobaan 1 gagal (HTTP 503) coba lagi" in first and first.endswith(" WIB")


def test_an_unreachable_agency_is_retried_and_the_command_says_so(dci_engine, http, call, receiver, inbox):
    with Session(dci_engine, expire_on_commit=False) as session, session.begin():
        agency = register(session, "dinsos-mati", callback_uri=receiver.url)
    _token(http, agency)
    code = _subscribe(call, agency, receiver, inbox)
    _quiet_others(dci_engine, code)
    with Session(dci_engine) as session, session.begin():  # its server moved away after subscribing
        sub = session.scalar(select(DciSubscription).where(DciSubscription.code == code))
        sub.sender_uri = "http://127.0.0.1:9/agensi"
        sub_id = sub.id
    _touch(dci_engine, "H2")
    got = CliRunner().invoke(app, ["dci", "kirim-notifikasi", "--db", dci_engine.url.render_as_string(False)])
    assert got.exit_code == 4, got.output
    assert "0 langganan menerima notifikasi, 1 gagal" in got.output
    with Session(dci_engine) as session:
        (d,) = session.scalars(select(DciDelivery).where(DciDelivery.subscription_id == sub_id)).all()
    assert d.http_status == 0 and d.error.startswith("tidak dapat dihubungi")


def test_a_program_subscriber_hears_only_of_its_list(dci_engine, agencies, http, call, receiver, inbox):
    pkh = agencies["pkh"]  # BPNT desil ≤ 1: H1 only in its wilayah
    code = _subscribe(call, pkh, receiver, inbox, event="ALL")
    _quiet_others(dci_engine, code)
    _touch(dci_engine, "H2", "H1")
    factory, key = session_factory(dci_engine), trust.load_signing_key()
    assert service.notify(factory, key, "siks", post_json).sent == 1
    ((_, body),) = inbox(1)
    refs = {
        e["data"]["reg_records"]["group_identifier"][0]["identifier_value"]
        for e in body["message"]["notify_event"]
    }
    assert refs == {"H1"}  # H2 changed too, but is not on the program's list

    # a ruta off the list made nonaktif is not announced to it either (no DELETE for H2)
    with Session(dci_engine) as session, session.begin():
        h2 = session.scalar(select(Household).where(Household.ref == "H2"))
        h2.status = "nonaktif"
        record_change(
            session, "uji", "household", h2.id, {"status": "aktif"}, {"status": "nonaktif"}, "pindah"
        )
    _touch(dci_engine, "H1")
    assert service.notify(factory, key, "siks", post_json).sent == 1
    ((_, body),) = inbox(1)
    events = {
        (e["data"]["event_type"], e["data"]["reg_records"]["group_identifier"][0]["identifier_value"])
        for e in body["message"]["notify_event"]
    }
    assert events == {("UPDATE", "H1")}
