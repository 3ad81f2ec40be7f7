"""Shared pieces of the DCI tests: a seeded registry, the spec validators, agencies with keys, a callback
receiver on 127.0.0.1.

Every request the tests send and every response or callback siks produces goes through `Spec.check_*`, the
openapi-core validators built from the OpenAPI files shipped in `siks/dci/spec/`, inside the package.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources import files

import yaml
from openapi_core import Config, OpenAPI
from openapi_core.testing import MockRequest, MockResponse
from sqlalchemy.orm import Session

from siks.dci import service, trust
from siks.dci.programs import set_programs
from siks.domain.programs import default_program
from siks.store.models.penetapan import Penetapan, PenetapanHousehold, PenetapanMember
from siks.store.models.registry import STATUS_INACTIVE, Family, FamilyKK, Household, Member

SPEC_DIR = files("siks.dci") / "spec"
HOST = "http://testserver"
BASE = "/dci"

DESA = "35.09.15.2001"  # Jubung, Kec. Sukorambi, Kab. Jember
DESA_B = "35.09.15.2002"  # same kecamatan
DESA_OTHER_KEC = "35.09.16.2001"  # Kec. Jenggawah, same kabupaten
DESA_OTHER_KAB = "35.10.01.2001"  # Kab. Banyuwangi

# ref -> (desa, members [(nama, sex, born, hubungan)], desil, skor, in DTKS, status)
HOUSEHOLDS = {
    "H1": (
        DESA,
        [
            ("Budi Santoso", 1, dt.date(1975, 3, 14), 1),
            ("Siti Aminah", 2, dt.date(1979, 8, 2), 2),
            ("Ani Lestari", 2, dt.date(2005, 1, 21), 3),
        ],
        1,
        2.1,
        True,
        "aktif",
    ),
    "H2": (
        DESA_B,
        [("Sukarmin", 1, dt.date(1950, 6, 1), 1), ("Joko", 1, dt.date(2010, 2, 2), 3)],
        3,
        4.4,
        True,
        "aktif",
    ),
    "H3": (
        DESA_OTHER_KEC,
        [
            ("Wagiman", 1, dt.date(1980, 1, 1), 1),
            ("Sri", 2, dt.date(1982, 1, 1), 2),
            ("Dewi", 2, dt.date(2012, 1, 1), 3),
            ("Eko", 1, dt.date(2015, 1, 1), 3),
        ],
        6,
        7.0,
        False,
        "aktif",
    ),
    "H4": (DESA_OTHER_KAB, [("Marni", 2, dt.date(1960, 1, 1), 1)], 2, 3.0, True, "aktif"),
    "H5": (DESA, [("Tarno", 1, dt.date(1970, 1, 1), 1)], 1, 1.0, True, STATUS_INACTIVE),
}


def nik_of(ref: str, no: int) -> str:
    return f"3509151403{int(ref[1:]):04d}{no:02d}"


def kk_of(ref: str) -> str:
    return f"350915020220{int(ref[1:]):04d}"


def seed_registry(session: Session) -> None:
    p = Penetapan(
        title="Uji",
        periode="2026-01",
        berlaku_mulai=dt.date(2026, 1, 1),
        criteria={},
        criteria_key="uji",
        created_by="uji",
    )
    session.add(p)
    session.flush()
    for ref, (desa, people, desil, skor, included, status) in HOUSEHOLDS.items():
        h = Household(
            ref=ref,
            desa_code=desa,
            dusun="Krajan",
            rw="001",
            rt="002",
            alamat=f"Jl. Mawar {ref}",
            status=status,
        )
        session.add(h)
        session.flush()
        f = Family(ref=f"{ref}-K1", household_id=h.id, status=status)
        session.add(f)
        session.flush()
        session.add(FamilyKK(family_id=f.id, kk_number=kk_of(ref), source="uji"))
        for no, (nama, sex, born, rel) in enumerate(people, start=1):
            session.add(
                Member(
                    ref=f"{f.ref}-{no}",
                    family_id=f.id,
                    no_urut=no,
                    nama=nama,
                    nik=nik_of(ref, no),
                    sex=sex,
                    tanggal_lahir=born,
                    hubungan_kk=rel,
                    keberadaan=1,
                    status=status,
                    status_kawin=2 if rel <= 2 else 1,
                )
            )
            session.add(  # the penetapan's frozen copy, which program lists read
                PenetapanMember(
                    penetapan_id=p.id,
                    household_ref=ref,
                    family_ref=f.ref,
                    member_ref=f"{f.ref}-{no}",
                    kk_number=kk_of(ref),
                    no_urut=no,
                    nama=nama,
                    nik=nik_of(ref, no),
                    sex=sex,
                    tanggal_lahir=born,
                    hubungan_kk=rel,
                    keberadaan=1,
                    status="aktif",
                    included=included,
                )
            )
        session.add(
            PenetapanHousehold(
                penetapan_id=p.id,
                household_ref=ref,
                desa_code=desa,
                included=included,
                desil=desil,
                skor_pmt=skor,
                jumlah_art=len(people),
            )
        )


# --- the spec ---------------------------------------------------------------------------------------------


class Spec:
    """openapi-core over one shipped DCI document, served at HOST + BASE."""

    def __init__(self, name: str, *, check_document: bool = True):
        doc = yaml.safe_load((SPEC_DIR / name).read_text())
        doc["servers"] = [{"url": HOST + BASE}]
        # upstream YAML folds `version: 1.0.0` into the description of some documents; OpenAPI needs it
        doc["info"].setdefault("version", "1.0.0")
        # jwks_core nests a `components` block inside a schema, which the document checker refuses; its
        # schemas still resolve, so that one document is loaded without the document check
        config = Config() if check_document else Config(spec_validator_cls=None)
        self.api = OpenAPI.from_dict(doc, config=config)

    def _request(
        self,
        path: str,
        body,
        method: str = "post",
        headers: dict | None = None,
        content_type: str = "application/json",
    ) -> MockRequest:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        return MockRequest(
            HOST, method, BASE + path, data=data, content_type=content_type, headers=headers or {}
        )

    def check_request(self, path: str, body, headers: dict | None = None, **kw) -> None:
        """Raises when the request does not follow the spec."""
        self.api.validate_request(
            self._request(path, body, headers=headers or {"Authorization": "Bearer x"}, **kw)
        )

    def check_response(
        self,
        path: str,
        body,
        status: int,
        response_body,
        method: str = "post",
        headers: dict | None = None,
        **kw,
    ) -> None:
        request = self._request(
            path, body, method=method, headers=headers or {"Authorization": "Bearer x"}, **kw
        )
        response = MockResponse(
            json.dumps(response_body).encode(), status_code=status, content_type="application/json"
        )
        self.api.validate_response(request, response)


# --- agencies ---------------------------------------------------------------------------------------------


def now_ts(shift: dt.timedelta = dt.timedelta(0)) -> str:
    return (dt.datetime.now(dt.UTC) + shift).isoformat(timespec="seconds")


@dataclass
class Agency:
    """An agency system: its key, its registered client id and secret, and a way to build signed envelopes."""

    client_id: str
    secret: str
    key: object
    token: str = ""
    sent: list = field(default_factory=list)

    def envelope(
        self,
        action: str,
        message: dict,
        *,
        sender_uri: str | None = None,
        ts_shift=dt.timedelta(0),
        sign_key=None,
        signed_now: float | None = None,
        ttl: int = trust.SIGNATURE_TTL,
        receiver_id: str = "siks",
        total_count: int = 1,
    ) -> dict:
        header = {
            "version": "1.0.0",
            "message_id": uuid.uuid4().hex,
            "message_ts": now_ts(ts_shift),
            "action": action,
            "sender_id": self.client_id,
            "receiver_id": receiver_id,
            "total_count": total_count,
            "is_msg_encrypted": False,
        }
        if sender_uri:
            header["sender_uri"] = sender_uri
        signature = trust.sign(header, message, sign_key or self.key, self.client_id, now=signed_now, ttl=ttl)
        return {"signature": signature, "header": header, "message": message}


def register(
    session: Session,
    client_id: str,
    *,
    fields=None,
    wilayah_code="35.09",
    callback_uri=None,
    rate=1000,
    programs=None,
    kind="ed25519",
) -> Agency:
    key = trust.generate_key(kind)
    _, secret = service.register_client(
        session,
        "admin-uji",
        client_id=client_id,
        name=client_id.upper(),
        jwks=trust.jwks(key),
        fields=list(fields if fields is not None else service.FIELDS),
        wilayah_code=wilayah_code,
        callback_uri=callback_uri,
        rate_per_minute=rate,
    )
    if programs:
        set_programs(session, "admin-uji", client_id, [default_program(*p) for p in programs])
    return Agency(client_id, secret, key)


def search_message(*criteria: dict) -> dict:
    return {
        "transaction_id": uuid.uuid4().hex[:20],
        "search_request": [
            {"reference_id": f"ref-{i}", "timestamp": now_ts(), "search_criteria": c}
            for i, c in enumerate(criteria, start=1)
        ],
    }


def predicate(*terms: tuple[str, str, object], condition: str | None = None) -> list[dict]:
    """`predicate(("age", "lt", 25))` → the spec's list; two terms with a condition make one item."""
    if condition:
        (a, b) = terms
        return [{"seq_num": 1, "expression1": _expr(*a), "condition": condition, "expression2": _expr(*b)}]
    return [{"seq_num": i, "expression1": _expr(*t)} for i, t in enumerate(terms, start=1)]


def _expr(name, op, value) -> dict:
    """Whole numbers go as text: the spec's attribute_value is oneOf(string, integer, number, …), and a JSON
    integer is both an integer and a number, so no validator accepts it (like upstream issue #45/#46)."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    return {"attribute_name": name, "operator": op, "attribute_value": value}


# --- a callback receiver ----------------------------------------------------------------------------------


class Receiver:
    """An agency's callback endpoint on 127.0.0.1: records every POST (path, JSON body, headers)."""

    def __init__(self):
        received = self.received = []
        ready = self.arrived = threading.Condition()
        failures = self.failures = {}  # path ending → how many more POSTs to answer 503

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length))
                due = next((k for k, n in failures.items() if self.path.endswith(k) and n > 0), None)
                if due is not None:  # an agency that is down for a while
                    failures[due] -= 1
                    self.send_response(503)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                with ready:
                    received.append((self.path, body, dict(self.headers)))
                    ready.notify_all()
                payload = json.dumps(
                    {"message": {"ack_status": "ACK", "timestamp": now_ts(), "correlation_id": "terima"}}
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/agensi"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait(self, count: int, timeout: float = 10.0) -> list:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.received) >= count, timeout=timeout)
        return list(self.received)

    def close(self):
        self.server.shutdown()
        self.server.server_close()
