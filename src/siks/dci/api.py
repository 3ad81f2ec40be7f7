"""The DCI HTTP API, a FastAPI app of its own mounted at `/dci` (the spec's server base).

Why a mounted app and not a router of the web app: DCI callers are systems with bearer tokens and signed
envelopes, not browser sessions — the web app's CSRF check and HTML error pages do not apply, and errors
here must take the spec's shapes (`{"errors": [{code, message}]}` for 401/403, an `ERR` acknowledgement or
a `rjct` header otherwise).

Async calls (`search`, `txn/status`, `subscribe`, `unsubscribe`) answer `ACK` at once and post the signed
result to the caller's callback (`{sender_uri}/registry/on-search`, …) after the response is sent.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable

from fastapi import BackgroundTasks, FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select

from siks.audit import record_change
from siks.dci import service, trust
from siks.dci.service import Envelope, Rejected, callback_header, timestamp
from siks.settings import settings
from siks.store.models.dci import DciClient

SYNC = "sync"
ASYNC = "async"
ON_ACTION = {
    "search": "on-search",
    "txn-status": "txn-on-status",
    "subscribe": "on-subscribe",
    "unsubscribe": "on-unsubscribe",
}
CALLBACK_PATH = {
    "search": "/registry/on-search",
    "txn-status": "/registry/txn/on-status",
    "subscribe": "/registry/on-subscribe",
    "unsubscribe": "/registry/on-unsubscribe",
}


def post_json(url: str, body: dict, token: str | None = None, timeout: float = 10.0) -> int:
    """POST a JSON envelope (with siks's bearer token); the HTTP status (errors are returned, not raised)."""
    data = json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=data, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - callback_uri is registered
            return resp.status
    except urllib.error.HTTPError as e:
        return e.code


def create_dci_app(
    session_factory, *, key=None, receiver_id: str | None = None, post: Callable[..., int] = post_json
) -> FastAPI:
    """The DCI app over a session factory. `key` defaults to siks's signing key (trust.load_signing_key)."""
    app = FastAPI(
        title="siks DCI Social Registry", version="1.0.0", docs_url=None, redoc_url=None, openapi_url=None
    )
    state = {"key": key}
    me = receiver_id or settings().dci_id

    def signing_key():
        if state["key"] is None:
            state["key"] = trust.load_signing_key()
        return state["key"]

    def deliver(url: str, header: dict, message: dict) -> None:
        body = {
            "signature": trust.sign(header, message, signing_key(), me),
            "header": header,
            "message": message,
        }
        bearer, _ = trust.issue_token(signing_key(), header["receiver_id"], trust.CALLBACK_SCOPE, issuer=me)
        try:
            status = post(url, body, bearer)
        except OSError:
            status = 0
        with session_factory.begin() as session:
            client = session.scalar(select(DciClient).where(DciClient.client_id == header["receiver_id"]))
            record_change(
                session,
                f"dci:{header['receiver_id']}",
                "dci_client",
                client.id if client else None,
                None,
                {"callback": header["action"], "http_status": status},
                "balasan DCI",
                action="dci_callback" if 200 <= status < 300 else "dci_callback_gagal",
            )

    def error_body(e: Rejected, mode: str, action: str) -> JSONResponse:
        errors = {"errors": [{"code": e.code, "message": e.message}]}
        if e.status in (401, 403, 500):
            return JSONResponse(errors, status_code=e.status)
        if mode == SYNC:
            header = callback_header(
                ON_ACTION[action],
                "",
                me,
                total=0,
                completed=0,
                status="rjct",
                reason=e.reason,
                reason_message=f"{e.code}: {e.message}",
            )
            return JSONResponse({"header": header, **errors}, status_code=e.status)
        ack = {
            "ack_status": "ERR",
            "timestamp": timestamp(),
            "correlation_id": "-",
            "error": {"code": e.code, "message": e.message},
        }
        return JSONResponse({"message": ack, **errors}, status_code=e.status)

    def audit_rejection(client_id: str | None, action: str, e: Rejected, count: bool = True) -> None:
        with session_factory.begin() as session:
            service.note_refusal(session, client_id, action, e, count=count)

    async def envelope_call(request: Request, action: str, mode: str, handle) -> JSONResponse:
        client_id = None
        try:
            try:
                body = await request.json()
            except ValueError:
                raise Rejected(400, "err.request.bad", "Badan permintaan bukan JSON.") from None
            with session_factory.begin() as session:
                client = service.authenticate(session, signing_key(), request.headers.get("authorization"))
                client_id = client.client_id
                env = service.accept(session, client, body, action, me)
                return handle(session, env)
        except Rejected as e:
            audit_rejection(client_id, action, e)
            return error_body(e, mode, action)

    def ack(env: Envelope) -> JSONResponse:
        return JSONResponse(
            {"message": {"ack_status": "ACK", "timestamp": timestamp(), "correlation_id": env.correlation_id}}
        )

    def later(
        tasks: BackgroundTasks,
        env: Envelope,
        action: str,
        message: dict | None,
        base: str,
        why: str | None = None,
    ) -> None:
        header = callback_header(
            ON_ACTION[action],
            env.client.client_id,
            me,
            total=env.header.get("total_count") or 1,
            completed=1 if message else 0,
            status="succ" if message else "rjct",
            reason_message=why,
        )
        tasks.add_task(deliver, base + CALLBACK_PATH[action], header, message or {})

    @app.get("/.well-known/jwks.json")
    def jwks():
        return trust.jwks(signing_key())

    @app.post("/oauth2/client/token")
    async def token(request: Request):
        form = dict(await request.form())
        try:
            with session_factory.begin() as session:
                return service.token(session, signing_key(), form)
        except Rejected as e:
            # not counted against the named client: anyone can name it with a wrong secret
            audit_rejection(str(form.get("client_id", ""))[:60] or None, "token", e, count=False)
            return JSONResponse({"errors": [{"code": e.code, "message": e.message}]}, status_code=e.status)

    @app.post("/registry/sync/search")
    async def sync_search(request: Request):
        def handle(session, env):
            response = service.search(session, env)
            header = callback_header(
                "on-search",
                env.client.client_id,
                me,
                total=len(response["search_response"]),
                completed=len(response["search_response"]),
            )
            return JSONResponse(
                {
                    "signature": trust.sign(header, response, signing_key(), me),
                    "header": header,
                    "message": response,
                }
            )

        return await envelope_call(request, "search", SYNC, handle)

    @app.post("/registry/search")
    async def async_search(request: Request, tasks: BackgroundTasks):
        def handle(session, env):
            base = service.callback_base(env.client, env.header.get("sender_uri"))
            later(tasks, env, "search", service.search(session, env), base)
            return ack(env)

        return await envelope_call(request, "search", ASYNC, handle)

    @app.post("/registry/sync/txn/status")
    async def sync_txn_status(request: Request):
        def handle(session, env):
            response, why = service.txn_status(session, env)
            header = callback_header(
                "txn-on-status",
                env.client.client_id,
                me,
                total=1,
                completed=1 if response else 0,
                status="succ" if response else "rjct",
                reason_message=why,
            )
            body = {"signature": trust.sign(header, response or {}, signing_key(), me), "header": header}
            if response:
                body["message"] = response
            return JSONResponse(body)

        return await envelope_call(request, "txn-status", SYNC, handle)

    @app.post("/registry/txn/status")
    async def async_txn_status(request: Request, tasks: BackgroundTasks):
        def handle(session, env):
            base = service.callback_base(env.client, env.header.get("sender_uri"))
            response, why = service.txn_status(session, env)
            later(tasks, env, "txn-status", response, base, why)
            return ack(env)

        return await envelope_call(request, "txn-status", ASYNC, handle)

    @app.post("/registry/subscribe")
    async def subscribe(request: Request, tasks: BackgroundTasks):
        def handle(session, env):
            base = service.callback_base(env.client, env.header.get("sender_uri"))
            later(tasks, env, "subscribe", service.subscribe(session, env, base), base)
            return ack(env)

        return await envelope_call(request, "subscribe", ASYNC, handle)

    @app.post("/registry/unsubscribe")
    async def unsubscribe(request: Request, tasks: BackgroundTasks):
        def handle(session, env):
            base = service.callback_base(env.client, env.header.get("sender_uri"))
            later(tasks, env, "unsubscribe", service.unsubscribe(session, env), base)
            return ack(env)

        return await envelope_call(request, "unsubscribe", ASYNC, handle)

    app.state.signing_key = signing_key
    app.state.receiver_id = me
    return app
