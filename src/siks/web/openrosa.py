"""The OpenRosa server ODK Collect (and KoBoCollect) talks to, under `/odk` (server URL `https://host/odk`).

    GET  /odk/formList                      forms of this user, with md5 hashes and manifest URLs
    GET  /odk/forms/{id}/form.xml           the XForm
    GET  /odk/forms/{id}/manifest           its media: the user's tasks and their members (CSV)
    GET  /odk/forms/{id}/media/{name}       one media file
    HEAD /odk/submission                    204 + X-OpenRosa-Accept-Content-Length (after authentication)
    POST /odk/submission                    multipart: xml_submission_file + attachments → 201 / 4xx

Why a separate ASGI app behind one catch-all route: ODK Collect has no browser session, so the app-wide
CSRF dependency of the web UI must not apply; authentication is HTTP Digest against the user's ODK
credential (siks.odk.digest), on every request. Every response carries `X-OpenRosa-Version: 1.0`, and errors
are OpenRosa responses whose message Collect shows to the enumerator.
"""

from __future__ import annotations

from email.utils import formatdate
from typing import Annotated
from xml.sax.saxutils import escape

from fastapi import Depends, FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.routing import Route

from siks.accounts.service import Actor
from siks.errors import ServiceError
from siks.odk import digest, service
from siks.store.db import session_factory
from siks.web.deps import Db

PREFIX = "/odk"
MAX_SUBMISSION = 10 * 1024 * 1024  # bytes per POST; Collect splits larger submissions into several POSTs
OPENROSA_NS = "http://openrosa.org/http/response"


def _headers(extra: dict | None = None) -> dict:
    return {"X-OpenRosa-Version": "1.0", "Date": formatdate(usegmt=True), **(extra or {})}


def xml_response(body: str, status: int = 200, headers: dict | None = None) -> Response:
    return Response(body, status, headers=_headers(headers), media_type="text/xml; charset=utf-8")


def openrosa_message(message: str, status: int, nature: str = "", headers: dict | None = None) -> Response:
    nature_attr = f' nature="{nature}"' if nature else ""
    body = (
        f'<OpenRosaResponse xmlns="{OPENROSA_NS}">'
        f"<message{nature_attr}>{escape(message)}</message></OpenRosaResponse>"
    )
    return xml_response(body, status, headers)


class Unauthorized(Exception):
    def __init__(self, stale: bool = False) -> None:
        self.stale = stale


def _secret(request: Request) -> str:
    return request.app.state.secret_key


def odk_user(request: Request, db: Db) -> Actor:
    """The user the Authorization header proves, or a 401 with a fresh Digest challenge."""
    creds = digest.parse(request.headers.get("authorization"))
    if creds is None:
        raise Unauthorized()
    found = service.credential_for(db, creds.username)
    if found is None:
        raise Unauthorized()
    user, ha1 = found
    tls = request.url.scheme == "https"
    state = digest.check(creds, ha1, request.method, request.url.path, _secret(request), tls)
    if state != "ok":
        raise Unauthorized(stale=state == "stale")
    return Actor.of(user)


OdkUser = Annotated[Actor, Depends(odk_user)]


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + PREFIX


def _build() -> FastAPI:
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @app.exception_handler(Unauthorized)
    async def _unauthorized(request: Request, exc: Unauthorized):
        challenge = digest.challenge(_secret(request), stale=exc.stale)
        return openrosa_message(
            "Nama pengguna atau kredensial ODK salah.", 401, headers={"WWW-Authenticate": challenge}
        )

    @app.exception_handler(ServiceError)
    async def _service_error(request: Request, exc: ServiceError):
        return openrosa_message(exc.message, exc.status)

    @app.get(PREFIX + "/formList")
    def form_list(request: Request, user: OdkUser, formID: str | None = None):  # noqa: N803 - protocol name
        base = _base(request)
        items = []
        for f in service.forms_for(user):
            if formID and f.form_id != formID:
                continue
            manifest = f"<manifestUrl>{base}/forms/{f.form_id}/manifest</manifestUrl>" if f.media else ""
            items.append(
                f"<xform><formID>{f.form_id}</formID><name>{escape(f.title)}</name>"
                f"<version>{f.version}</version><hash>md5:{f.md5}</hash>"
                f"<downloadUrl>{base}/forms/{f.form_id}/form.xml</downloadUrl>{manifest}</xform>"
            )
        body = '<xforms xmlns="http://openrosa.org/xforms/xformsList">' + "".join(items) + "</xforms>"
        return xml_response(body)

    @app.get(PREFIX + "/forms/{form_id}/form.xml")
    def form_xml(form_id: str, user: OdkUser):
        return xml_response(service.form_for(user, form_id).xml)

    @app.get(PREFIX + "/forms/{form_id}/manifest")
    def manifest(request: Request, form_id: str, db: Db, user: OdkUser):
        form = service.form_for(user, form_id)
        base = _base(request)
        files = []
        for name in form.media:
            content = service.media(db, user, form_id, name)
            files.append(
                f"<mediaFile><filename>{name}</filename><hash>{service.media_hash(content)}</hash>"
                f"<downloadUrl>{base}/forms/{form_id}/media/{name}</downloadUrl></mediaFile>"
            )
        body = '<manifest xmlns="http://openrosa.org/xforms/xformsManifest">' + "".join(files) + "</manifest>"
        return xml_response(body)

    @app.get(PREFIX + "/forms/{form_id}/media/{name}")
    def media_file(form_id: str, name: str, db: Db, user: OdkUser):
        content = service.media(db, user, form_id, name)
        return Response(content, headers=_headers(), media_type="text/csv; charset=utf-8")

    @app.head(PREFIX + "/submission")
    def submission_head(user: OdkUser):
        return Response(
            status_code=204, headers=_headers({"X-OpenRosa-Accept-Content-Length": str(MAX_SUBMISSION)})
        )

    @app.post(PREFIX + "/submission")
    async def submission(request: Request, user: OdkUser):
        size = int(request.headers.get("content-length") or 0)
        if size > MAX_SUBMISSION:
            return openrosa_message(f"Kiriman lebih dari {MAX_SUBMISSION // (1024 * 1024)} MB.", 413)
        if not request.headers.get("content-type", "").startswith("multipart/form-data"):
            return openrosa_message("Kiriman harus multipart/form-data dengan xml_submission_file.", 400)
        form = await request.form(max_files=200, max_fields=50)
        xml, files = None, []
        for key, value in form.multi_items():
            if not isinstance(value, UploadFile):
                continue
            content = await value.read()
            if key == "xml_submission_file":
                xml = content
            else:
                files.append((value.filename or key, value.content_type or "", content))
        if xml is None:
            return openrosa_message("Bagian xml_submission_file tidak ada dalam kiriman.", 400)
        outcome = await run_in_threadpool(_receive, request.app, user.id, xml, files)
        return openrosa_message(outcome[1], outcome[0], "submit_success" if outcome[0] < 300 else "")

    return app


def _receive(app: FastAPI, user_id: int, xml: bytes, files: list) -> tuple[int, str]:
    """One transaction: the submission is stored (and applied or queued) or nothing is.

    Two POSTs of one instance at the same moment (Collect retrying on a slow line) meet at the unique
    instanceID: the loser runs again and finds the winner's row, so it is answered as a resubmission.
    """
    from sqlalchemy.exc import IntegrityError

    from siks.store.models.accounts import User

    for attempt in (1, 2):
        try:
            with app.state.session_factory() as session, session.begin():
                outcome = service.receive(session, session.get(User, user_id), xml, files)
                return outcome.status, outcome.message
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


class OpenRosa:
    """ASGI entry under the main app: one OpenRosa app per main app, sharing its engine and secret.

    A class instance, not a function, so Starlette hands it the raw ASGI call (no CSRF, no login session).
    """

    def __init__(self) -> None:
        self._apps: dict[int, FastAPI] = {}

    async def __call__(self, scope, receive, send) -> None:
        parent = scope["app"]
        app = self._apps.get(id(parent))
        if app is None or app.state.parent is not parent:
            app = _build()
            app.state.parent = parent
            app.state.engine = parent.state.engine
            factory = getattr(parent.state, "session_factory", None)
            app.state.session_factory = factory or session_factory(parent.state.engine)
            app.state.secret_key = parent.state.secret_key
            self._apps[id(parent)] = app
        await app(scope, receive, send)


ROUTE = Route(PREFIX + "/{rest:path}", endpoint=OpenRosa(), include_in_schema=False)
