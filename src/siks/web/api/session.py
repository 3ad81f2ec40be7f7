"""The JSON API for the session: log in and out, who is logged in, and the CSRF token.

Authentication is the same session cookie as the pages. A client first calls `GET /api/v1/session` to get
a CSRF token, sends it as `X-CSRF-Token` on every POST/PATCH/DELETE (including the login itself), and gets
a fresh one from the login response. Login and logout are the same functions the pages call.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from siks.domain.roles import ROLES
from siks.scope import Scope
from siks.web.deps import CurrentUser, OptionalUser
from siks.web.routes import auth as auth_routes
from siks.web.security import csrf_token

router = APIRouter(prefix="/api/v1", tags=["sesi"])


class UserOut(BaseModel):
    username: str
    role: str
    role_label: str
    wilayah_code: str | None
    wilayah: str
    permissions: list[str]


class SessionOut(BaseModel):
    authenticated: bool
    csrf_token: str
    user: UserOut | None = None


class LoginIn(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(max_length=1024)


def user_out(user) -> UserOut:
    role = ROLES[user.role]
    return UserOut(
        username=user.username,
        role=user.role,
        role_label=role.label,
        wilayah_code=user.wilayah_code,
        wilayah=Scope.of(user).label(),
        permissions=sorted(role.permissions),
    )


@router.get("/session", response_model=SessionOut)
def session_info(request: Request, user: OptionalUser):
    """Who is logged in, and the CSRF token for the next POST/PATCH/DELETE."""
    return SessionOut(
        authenticated=user is not None, csrf_token=csrf_token(request), user=user_out(user) if user else None
    )


@router.post("/session", response_model=SessionOut)
def session_login(request: Request, body: LoginIn):
    """Log in (rate-limited per username and per IP). Returns a new CSRF token."""
    user = auth_routes.login(request, body.username, body.password)
    return SessionOut(authenticated=True, csrf_token=request.session["csrf"], user=user_out(user))


@router.delete("/session", status_code=204)
def session_logout(request: Request):
    auth_routes.logout(request)
    return Response(status_code=204)


@router.get("/me", response_model=UserOut)
def me(user: CurrentUser):
    return user_out(user)
