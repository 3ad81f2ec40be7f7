"""A small CRVS registry for the tests, built from crvs_api_v1.0.0.yaml and backed by a Dukcapil extract.

It plays Dukcapil's part: issues client-credentials tokens, publishes its JWKS, verifies siks's signed
`sync/search`, answers `idtype-value` NIK queries with CRVS person records, and signs its answers. Every
request it receives and every response it sends is validated against the CRVS spec; anything that does not
pass lands in `problems`, which the tests require to stay empty.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import uuid
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from dci.support import Spec
from siks.dci import trust

CRVS_ID = "crvs"
EXTRACT_COLUMNS = [
    "nik",
    "no_kk",
    "nama",
    "tempat_lahir",
    "tanggal_lahir",
    "jenis_kelamin",
    "kode_desa",
    "status_hidup",
    "tanggal_meninggal",
]


def write_extract(path: Path, rows: list[dict]) -> Path:
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=EXTRACT_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def _person(row: dict) -> dict:
    record = {
        "@type": "CRVS_Person",
        "identifier": {"@type": "Identifier", "identifier_type": "NIK", "identifier_value": row["nik"]},
        "name": {"@type": "Name", "given_name": row["nama"]},
        "sex": "male" if row["jenis_kelamin"] == "1" else "female",
        "birth_date": row["tanggal_lahir"],
        "address": {"@type": "Address", "region_code": row["kode_desa"], "country_code": "ID"},
    }
    if row["status_hidup"] == "MATI":
        record["death_date"] = row["tanggal_meninggal"]
    return record


class CrvsServer:
    def __init__(self, extract: Path, spec: Spec):
        with extract.open() as fh:
            self.people = {row["nik"]: row for row in csv.DictReader(fh)}
        self.key = trust.generate_key("rs256")  # Dukcapil's side signs with RS256; siks with Ed25519
        self.clients: dict[str, tuple[str, dict]] = {}  # client_id -> (secret, jwks)
        self.spec = spec
        self.problems: list[str] = []
        self.searches: list[dict] = []
        self.app = self._build()

    def register(self, client_id: str, secret: str, jwks: dict) -> None:
        self.clients[client_id] = (secret, jwks)

    def _check(self, what: str, fn, *args, **kw) -> None:
        try:
            fn(*args, **kw)
        except Exception as e:  # the validator's errors are many classes; all are problems here
            self.problems.append(f"{what}: {e}")

    def _build(self) -> FastAPI:
        app = FastAPI()

        @app.get("/.well-known/jwks.json")
        def jwks():
            return trust.jwks(self.key)

        @app.post("/oauth2/client/token")
        async def token(request: Request):
            form = dict(await request.form())
            secret, _ = self.clients.get(form.get("client_id"), (None, None))
            if secret is None or form.get("client_secret") != secret:
                return JSONResponse({"errors": [{"code": "err.request.unauthorized", "message": "-"}]}, 401)
            access, ttl = trust.issue_token(self.key, form["client_id"], "registry.search", issuer=CRVS_ID)
            return {"access_token": access, "token_type": "bearer", "expires_in": str(ttl)}

        @app.post("/registry/sync/search")
        async def search(request: Request):
            raw = await request.body()
            auth = request.headers.get("authorization", "")
            self._check(
                "request",
                self.spec.check_request,
                "/registry/sync/search",
                raw,
                headers={"Authorization": auth},
            )
            body = json.loads(raw)
            try:
                claims = trust.read_token(self.key, auth.removeprefix("Bearer "), issuer=CRVS_ID)
                _, client_jwks = self.clients[claims["sub"]]
                trust.verify(
                    body.get("signature"), body["header"], body["message"], claims["sub"], client_jwks
                )
            except (trust.TrustError, KeyError) as e:
                answer = {
                    "errors": [{"code": getattr(e, "code", "err.request.unauthorized"), "message": str(e)}]
                }
                self._check(
                    "response",
                    self.spec.check_response,
                    "/registry/sync/search",
                    raw,
                    401,
                    answer,
                    headers={"Authorization": auth},
                )
                return JSONResponse(answer, 401)
            self.searches.append(body)
            results = []
            for item in body["message"]["search_request"]:
                query = item["search_criteria"]["query"]
                row = self.people.get(str(query.get("value"))) if query.get("type") == "NIK" else None
                results.append(
                    {
                        "reference_id": item["reference_id"],
                        "timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                        "status": "succ",
                        "data": {
                            "version": "1.0.0",
                            "reg_type": "ns:org:RegistryType:Civil",
                            "reg_record_type": "Person",
                            "reg_records": [_person(row)] if row else [],
                        },
                        "pagination": {"page_size": 1, "page_number": 1, "total_count": 1 if row else 0},
                    }
                )
            message = {
                "transaction_id": body["message"]["transaction_id"],
                "correlation_id": uuid.uuid4().hex,
                "search_response": results,
            }
            header = {
                "version": "1.0.0",
                "message_id": uuid.uuid4().hex,
                "message_ts": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "action": "on-search",
                "status": "succ",
                "sender_id": CRVS_ID,
                "receiver_id": body["header"]["sender_id"],
                "total_count": len(results),
                "completed_count": len(results),
            }
            answer = {
                "signature": trust.sign(header, message, self.key, CRVS_ID),
                "header": header,
                "message": message,
            }
            self._check(
                "response",
                self.spec.check_response,
                "/registry/sync/search",
                raw,
                200,
                answer,
                headers={"Authorization": auth},
            )
            return answer

        return app
