"""FastAPI dependencies every area uses: the database session, the current user, a permission gate.

    from siks.web.deps import CurrentUser, Db, require

    @router.get("/usulan/{uid}")
    def show(uid: int, db: Db, user: CurrentUser): ...

    @router.post("/x", dependencies=[require("registry.edit")])

`Db` is one transaction per request: committed when the route returns, rolled back if it raises — before
the response is sent, so a client never sees success for a change that did not commit.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from siks.accounts import service as accounts
from siks.accounts.service import Actor
from siks.domain.roles import has_permission
from siks.errors import Forbidden
from siks.store.db import session_factory


class NotLoggedIn(Exception):
    """No valid session: pages redirect to the login form, the API answers 401."""


def get_db(request: Request) -> Iterator[Session]:
    factory = getattr(request.app.state, "session_factory", None)
    if factory is None:
        factory = request.app.state.session_factory = session_factory(request.app.state.engine)
    with factory() as session, session.begin():
        yield session


Db = Annotated[Session, Depends(get_db, scope="function")]


def optional_user(request: Request, db: Db) -> Actor | None:
    """The logged-in user (an `Actor` snapshot), or None. Also on `request.state.user` for the templates."""
    if hasattr(request.state, "user"):
        return request.state.user
    found = accounts.user_for_token(db, request.session.get("sid"))
    actor = Actor.of(found) if found is not None else None
    request.state.user = actor
    return actor


def current_user(user: Annotated[Actor | None, Depends(optional_user)]) -> Actor:
    if user is None:
        raise NotLoggedIn()
    return user


CurrentUser = Annotated[Actor, Depends(current_user)]
OptionalUser = Annotated[Actor | None, Depends(optional_user)]


def require(permission: str):
    """A dependency that lets only roles with `permission` through (403 otherwise)."""

    def _check(user: CurrentUser) -> Actor:
        if not has_permission(user.role, permission):
            raise Forbidden()
        return user

    return Depends(_check)


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "-"
