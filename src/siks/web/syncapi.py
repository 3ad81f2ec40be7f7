"""The instance-to-instance sync API under `/api/v1/sync` (docs/sync.md), a sub-application of the web app.

    GET /api/v1/sync/identitas                         this instance's identity card (unsigned, public)
    GET /api/v1/sync/status                            what we hold from the caller, what waits for it
    GET /api/v1/sync/unggah/{set_id}?total=…            how many bytes of an upload are stored (resume)
    PUT /api/v1/sync/unggah/{set_id}?offset=…&total=…   one piece; the last one applies the change set

Why a separate ASGI app: the caller is another siks instance, not a browser, so the app-wide CSRF check of
the web UI must not apply; every request is authenticated instead by the calling instance's Ed25519
signature against the key pinned here (`siks.sync.inbox.authenticate`). Errors are JSON. The rules live in
`siks.sync`; this module only reads the request and answers.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from siks.errors import ServiceError
from siks.sync import inbox

PREFIX = "/api/v1/sync"


def create_sync_app(session_factory) -> FastAPI:
    """The sub-app to mount at `PREFIX`; `session_factory` opens sessions on the instance's database."""
    api = FastAPI(title="siks sync", openapi_url=None, docs_url=None, redoc_url=None)

    @api.exception_handler(ServiceError)
    async def _service_error(_request: Request, exc: ServiceError):
        return JSONResponse({"detail": exc.message, "code": exc.code}, status_code=exc.status)

    async def signed(request: Request, work):
        """Authenticate the caller, then run `work(session, origin, body)` in one transaction."""
        body = await request.body()
        path = request.scope.get("raw_path", b"").decode() or request.url.path  # the full path, as signed
        if request.url.query:
            path += "?" + request.url.query

        def run():
            with session_factory() as session, session.begin():
                origin = inbox.authenticate(
                    session,
                    instance_id=request.headers.get("X-Siks-Instance", ""),
                    method=request.method,
                    path=path,
                    stamp=request.headers.get("X-Siks-Time"),
                    signature=request.headers.get("X-Siks-Signature"),
                    body=body,
                )
                return work(session, origin, body)

        return await run_in_threadpool(run)

    @api.get("/identitas")
    def identity_card():
        with session_factory() as session:
            return inbox.card(session)

    @api.get("/status")
    async def peer_status(request: Request):
        return await signed(request, lambda s, origin, _body: inbox.peer_report(s, origin))

    @api.get("/unggah/{set_id}")
    async def upload_state(request: Request, set_id: str, total: int):
        return await signed(request, lambda s, origin, _body: inbox.upload_state(s, origin, set_id, total))

    @api.put("/unggah/{set_id}")
    async def upload_piece(request: Request, set_id: str, offset: int, total: int):
        return await signed(
            request, lambda s, origin, body: inbox.receive_piece(s, origin, set_id, offset, total, body)
        )

    return api
