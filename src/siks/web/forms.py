"""What every HTML form route shares: the posted form, one service call in a savepoint, lenient numbers.

Pages of every area use these, so they live here rather than in one area's route module.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from siks.errors import ServiceError


async def read_form(request: Request) -> FormData:
    """The posted form (already parsed by the CSRF check), for routes whose fields vary by kind."""
    return await request.form()


Form = Annotated[FormData, Depends(read_form)]


def attempt(db: Session, fn, *args, **kwargs):
    """Run one service call in a savepoint: (result, None) or (None, the ServiceError), nothing half-done."""
    try:
        with db.begin_nested():
            return fn(*args, **kwargs), None
    except ServiceError as e:
        return None, e


def int_or(value, default=None):
    """A form field as a whole number, or `default` when it is empty or not a number."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return default
