"""Login and logout pages. The JSON equivalents are in `web/api/session.py`; both call `login()` here."""

from __future__ import annotations

import logging
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from siks.accounts import service as accounts
from siks.accounts.service import Actor
from siks.errors import ServiceError
from siks.web.deps import OptionalUser, client_ip
from siks.web.security import safe_next
from siks.web.templating import render

router = APIRouter(include_in_schema=False)
log = logging.getLogger("siks.web.auth")


def login(request: Request, username: str, password: str) -> Actor:
    """Check the credentials in a transaction of its own (so a failure is recorded even though it raises),
    then start a fresh session: new token, new CSRF token (no session fixation)."""
    factory = request.app.state.session_factory
    error: ServiceError | None = None
    with factory() as db, db.begin():
        try:
            user = accounts.authenticate(db, username, password, client_ip(request))
            token = accounts.start_session(db, user)
            actor = Actor.of(user)
        except ServiceError as e:
            error = e
    if error is not None:
        log.info("login gagal (%s) dari %s", error.code, client_ip(request))
        raise error
    log.info("login berhasil: user id %s", actor.id)
    request.session.clear()
    request.session["sid"] = token
    request.session["csrf"] = secrets.token_urlsafe(32)
    request.state.user = actor
    return actor


def logout(request: Request) -> None:
    factory = request.app.state.session_factory
    with factory() as db, db.begin():
        accounts.end_session(db, request.session.get("sid"))
    request.session.clear()


@router.get("/masuk")
def login_form(request: Request, user: OptionalUser, lanjut: str = "/"):
    if user is not None:
        return RedirectResponse(safe_next(lanjut), status_code=303)
    return render(request, "auth/login.html", {"lanjut": safe_next(lanjut), "error": None, "username": ""})


@router.post("/masuk")
def login_submit(
    request: Request,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    lanjut: Annotated[str, Form()] = "/",
):
    try:
        login(request, username, password)
    except ServiceError as e:
        context = {"lanjut": safe_next(lanjut), "error": e.message, "username": username[:64]}
        return render(request, "auth/login.html", context, status_code=e.status)
    return RedirectResponse(safe_next(lanjut), status_code=303)


@router.post("/keluar")
def logout_submit(request: Request):
    logout(request)
    return RedirectResponse("/masuk", status_code=303)
