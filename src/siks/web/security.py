"""Web security plumbing: the signing secret, CSRF tokens, and response headers.

- The session cookie is signed with `SIKS_SECRET_KEY`, or with a key generated once into a file
  (`SIKS_SECRET_FILE`, default `~/.local/state/siks/secret_key`, mode 0600) so every worker and every
  restart share it.
- CSRF: a random token per session; every POST/PUT/PATCH/DELETE must carry it as the form field
  `csrf_token` or the header `X-CSRF-Token`, or it is refused with 403. This runs as an app-wide dependency,
  so routes added by other areas are covered without doing anything.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from fastapi import HTTPException, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from siks.settings import settings

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
SESSION_COOKIE = "siks_sesi"


def default_secret_file() -> Path:
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "siks" / "secret_key"


def load_secret_key(path: str | Path | None = None) -> str:
    """`SIKS_SECRET_KEY`, else the key in the secret file (created on first use, readable by us only)."""
    config = settings()
    if config.secret_key:
        return config.secret_key.get_secret_value()
    file = Path(path or config.secret_file or default_secret_file())
    if file.exists():
        return file.read_text().strip()
    file.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    try:  # O_EXCL: if two workers race, one writes and both read the same key
        fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return file.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    return key


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def _is_form(request: Request) -> bool:
    ctype = request.headers.get("content-type", "")
    return ctype.startswith("application/x-www-form-urlencoded") or ctype.startswith("multipart/form-data")


async def verify_csrf(request: Request) -> None:
    """App-wide dependency: unsafe methods need the session's token (form field or header), else 403."""
    if request.method in SAFE_METHODS:
        return
    expected = request.session.get("csrf")
    sent = request.headers.get(CSRF_HEADER)
    if not sent and _is_form(request):
        form = await request.form()  # cached on the request; the route reads the same parsed form
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not expected or not sent or not secrets.compare_digest(str(expected), str(sent)):
        raise HTTPException(
            status_code=403,
            detail="Token keamanan (CSRF) tidak ada atau tidak cocok. Muat ulang halaman lalu coba lagi.",
        )


CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


# the Swagger page: Swagger UI sets style attributes and <style> elements itself; scripts stay our own
DOCS_CSP = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")


class SecurityHeaders:
    """Pure ASGI middleware: no caching of pages with personal data, no framing, no sniffing, strict CSP.

    The Swagger page (`/api/v1/docs`) is served from a package's files (`siks.web.apidocs`): scripts stay
    `'self'`; only inline styles, which Swagger UI sets itself, are allowed there.
    """

    def __init__(self, app: ASGIApp, docs_path: str = "/api/v1/docs"):
        self.app = app
        self.docs_path = docs_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                extra = {
                    b"x-content-type-options": b"nosniff",
                    b"x-frame-options": b"DENY",
                    b"referrer-policy": b"same-origin",
                }
                extra[b"content-security-policy"] = (
                    DOCS_CSP if path.startswith(self.docs_path) else CSP
                ).encode()
                if not path.startswith("/static/"):
                    extra[b"cache-control"] = b"no-store"
                headers += [(k, v) for k, v in extra.items() if k not in names]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_wrapper)


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site paths after login (no `//evil`, no scheme), so the redirect cannot be abused."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


PUBLIC_BODY_LIMIT = 6 * 1024 * 1024  # the anonymous forms: one photo of at most 5 MB and a few fields
# other bodies: `SIKS_MAX_BODY_MB` (64 MB by default: berita acara, penetapan score files, ODK submissions)


class BodyLimit:
    """Pure ASGI middleware: refuse an oversized request body with 413 before anything reads it (#17.6).

    Without it the CSRF check parsed a whole 40 MB anonymous upload first. A declared Content-Length over
    the limit is refused at once; a body sent without one is counted as it streams and cut off there.
    The anonymous pages under `/cek` get the small limit; `SIKS_MAX_BODY_MB` sets the other.
    """

    def __init__(self, app: ASGIApp, public_limit: int = PUBLIC_BODY_LIMIT, limit: int | None = None):
        from siks.settings import settings

        self.app = app
        self.public_limit = public_limit
        self.limit = limit or int(settings().max_body_mb * 1024 * 1024)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        limit = self.public_limit if path == "/cek" or path.startswith("/cek/") else self.limit
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _too_large(send, limit)
            return
        seen = 0

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge()
            return message

        try:
            await self.app(scope, counting_receive, send)
        except BodyTooLarge:
            await _too_large(send, limit)


class BodyTooLarge(Exception):
    pass


async def _too_large(send: Send, limit: int) -> None:
    body = f"Berkas atau isian terlalu besar (maksimal {limit // (1024 * 1024)} MB).".encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})  # fmt: skip
    await send({"type": "http.response.body", "body": body})
