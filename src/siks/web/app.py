"""The FastAPI application: HTML pages (Bahasa Indonesia) and the JSON API `/api/v1`, over the same services.

Every area has the same arrangement: its pages in `siks/web/routes/<area>.py` and its JSON API in
`siks/web/api/<area>.py`, each with a `router` (a page module may add a `NAV` list of `NavItem`). To add an
area, write the module(s) and add the name to `ROUTERS` and/or `API_ROUTERS` below — one line each.
"""

from __future__ import annotations

import importlib
import json
import logging
import secrets
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from sqlalchemy.exc import DataError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from siks.accounts.service import SESSION_LIFETIME
from siks.audit.service import set_origin
from siks.dci.api import create_dci_app
from siks.domain import wilayah
from siks.errors import ServiceError
from siks.settings import settings
from siks.store.db import make_engine, session_factory
from siks.web import apidocs, logfilter, templating
from siks.web.deps import NotLoggedIn
from siks.web.security import SESSION_COOKIE, BodyLimit, SecurityHeaders, load_secret_key, verify_csrf
from siks.web.syncapi import PREFIX as SYNC_PREFIX
from siks.web.syncapi import create_sync_app

# Page modules under siks.web.routes, each with a `router`. Order = order of matching.
ROUTERS: tuple[str, ...] = (
    "auth",
    "home",
    "registry",
    "imports",
    "audit",
    "usulan",
    "fieldwork",
    "adjudication",
    "penetapan",
    "public",
    "dashboard",
    "odk",
    "ppks",
    "sync",
)
# JSON API modules under siks.web.api, each with a `router` under `/api/v1`; matched after the pages.
API_ROUTERS: tuple[str, ...] = (
    "session",
    "registry",
    "audit",
    "usulan",
    "fieldwork",
    "adjudication",
    "odk",
    "ppks",
)

log = logging.getLogger("siks.web")

API_PREFIX = "/api/v1"
STATIC_DIR = Path(__file__).parent / "static"


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX)


def _error_page(request: Request, status: int, message: str):
    if _is_api(request):
        return JSONResponse({"detail": message}, status_code=status)
    return templating.render(
        request, "error.html", {"status": status, "message": message}, status_code=status
    )


_DEFAULT_MESSAGES = {
    400: "Permintaan tidak dapat diproses.",
    401: "Silakan masuk terlebih dahulu.",
    403: "Akses ditolak.",
    404: "Halaman tidak ditemukan.",
    405: "Metode tidak diizinkan.",
    409: "Terjadi konflik data.",
    422: "Isian tidak lengkap atau tidak valid.",
    429: "Terlalu banyak permintaan.",
}


def create_app(engine_or_url: Engine | str | None = None, *, secret_key: str | None = None,
               cookie_secure: bool = False) -> FastAPI:  # fmt: skip
    """Build the app over a database (an Engine, a URL, or `SIKS_DATABASE_URL`/`siks.db`).

    `cookie_secure=True` adds the Secure flag (behind HTTPS); `secret_key` defaults to `load_secret_key()`.
    """
    engine = engine_or_url if isinstance(engine_or_url, Engine) else make_engine(engine_or_url)
    set_origin(None)  # the CLI marks its entries with the OS user; web users are logged in
    app = FastAPI(
        title="siks API",
        summary="Sistem Informasi Kesejahteraan Sosial — DTKS",
        version="1",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,  # served from a package below (apidocs), not from a CDN
        redoc_url=None,
        dependencies=[Depends(verify_csrf)],
    )
    app.state.engine = engine
    app.state.session_factory = session_factory(engine)
    app.state.secret_key = secret_key = secret_key or load_secret_key()  # also signs ODK Digest nonces

    # Order: SessionMiddleware must wrap the routes; SecurityHeaders wraps everything.
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret_key or load_secret_key(),
        session_cookie=SESSION_COOKIE,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        same_site="lax",
        https_only=cookie_secure,
    )
    app.add_middleware(SecurityHeaders, docs_path=f"{API_PREFIX}/docs")
    app.add_middleware(BodyLimit)  # outermost after the headers: nothing reads an oversized body
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    apidocs.install(app, f"{API_PREFIX}/docs", f"{API_PREFIX}/openapi.json")

    templating.NAV.clear()
    for name in ROUTERS:
        module = importlib.import_module(f"siks.web.routes.{name}")
        app.include_router(module.router)
        templating.NAV.extend(getattr(module, "NAV", ()))
    for name in API_ROUTERS:
        app.include_router(importlib.import_module(f"siks.web.api.{name}").router)
    app.mount(SYNC_PREFIX, create_sync_app(app.state.session_factory))  # instance to instance, docs/sync.md

    app.mount("/dci", create_dci_app(app.state.session_factory))  # DCI Social Registry API, docs/dci.md
    _install_handlers(app)
    logfilter.install()  # under any server: mask personal data on the handlers already configured
    return app


def _install_handlers(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def _service_error(request: Request, exc: ServiceError):
        if _is_api(request):
            return JSONResponse({"detail": exc.message, "code": exc.code}, status_code=exc.status)
        return _error_page(request, exc.status, exc.message)

    @app.exception_handler(NotLoggedIn)
    async def _not_logged_in(request: Request, exc: NotLoggedIn):
        if _is_api(request):
            return JSONResponse({"detail": "Silakan masuk terlebih dahulu."}, status_code=401)
        target = request.url.path if request.method == "GET" else "/"
        return RedirectResponse(f"/masuk?lanjut={target}", status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        message = exc.detail if isinstance(exc.detail, str) and exc.status_code in (403, 409, 429) else None
        return _error_page(
            request, exc.status_code, message or _DEFAULT_MESSAGES.get(exc.status_code, "Galat.")
        )

    # Hostile input that slips past the route's types (#17.5): a malformed wilayah code deep in a service, an
    # integer beyond the database's 64 bits in a path, query or body. Both are the user's to fix: 422.
    @app.exception_handler(wilayah.InvalidCode)
    async def _bad_wilayah(request: Request, exc: wilayah.InvalidCode):
        return _invalid_input(request, str(exc))

    @app.exception_handler(OverflowError)
    async def _overflow(request: Request, exc: OverflowError):
        return _invalid_input(request, TOO_LARGE)

    @app.exception_handler(DataError)
    async def _data_error(request: Request, exc: DataError):
        return _invalid_input(request, TOO_LARGE)

    @app.exception_handler(Exception)
    async def _server_error(request: Request, exc: Exception):
        """Anything unforeseen: a styled Indonesian page (JSON on the API), with a reference for the log."""
        ref = secrets.token_hex(4)
        log.error("galat server %s pada %s %s", ref, request.method, request.url.path, exc_info=exc)
        message = f"{SERVER_ERROR} Kode rujukan: {ref}."
        if _is_api(request):
            return JSONResponse({"detail": message, "code": "galat_server"}, status_code=500)
        try:
            return templating.render(request, "error.html", {"status": 500, "message": message}, 500)
        except Exception:  # the page itself cannot be drawn (no session, a template fault): plain text
            return PlainTextResponse(message, status_code=500)

    @app.exception_handler(json.JSONDecodeError)
    async def _not_json(request: Request, exc: json.JSONDecodeError):  # a route that reads request.json()
        return _invalid_input(request, NOT_JSON)

    # SQLite has one writer: while a long import writes, a login or a save waits SIKS_SQLITE_BUSY_SECONDS
    # and then gets 503 with Retry-After, not a 500 (#17.8). Other database failures stay 500.
    @app.exception_handler(OperationalError)
    async def _busy(request: Request, exc: OperationalError):
        if "locked" not in str(exc.orig) and "busy" not in str(exc.orig):
            raise exc
        response = _error_page(request, 503, BUSY)
        response.headers["Retry-After"] = "10"
        return response

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        if _is_api(request):
            return JSONResponse({"detail": _DEFAULT_MESSAGES[422], "errors": _plain(exc.errors())}, 422)
        return _error_page(request, 422, _DEFAULT_MESSAGES[422])


SERVER_ERROR = (
    "Terjadi galat pada server; permintaan Anda tidak diproses. Coba lagi sebentar lagi, dan bila berulang "
    "laporkan ke admin dengan kode rujukan di bawah ini."
)
NOT_JSON = "Isi permintaan bukan JSON yang sah."
TOO_LARGE = "Angka di luar batas yang dapat disimpan (terlalu besar)."
BUSY = "Basis data sedang menyimpan impor besar. Perubahan Anda belum tersimpan; coba lagi sebentar lagi."


def _invalid_input(request: Request, message: str):
    if _is_api(request):
        return JSONResponse({"detail": message, "code": "tidak_valid"}, status_code=422)
    return _error_page(request, 422, message)


def _plain(errors) -> list[dict]:
    """Validation errors without the submitted values (they may be a NIK)."""
    return [
        {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")} for e in errors
    ]


def app_from_env() -> FastAPI:
    """The app uvicorn builds in each worker (`siks serve`): database from `SIKS_DATABASE_URL`."""
    return create_app(None, cookie_secure=settings().cookie_secure)
