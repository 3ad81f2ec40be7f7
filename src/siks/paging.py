"""One page of results without a total count: counting millions of rows per request is what we avoid.

Services fetch `per_page + 1` rows; the extra row only says whether a next page exists. Lists that can be
deep (the name search over millions of people) page by a cursor instead of an offset: `next_cursor` is an
opaque, URL-safe token naming the last row shown, so page N costs what page 1 costs.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from siks.errors import ServiceError

T = TypeVar("T")

MAX_PER_PAGE = 100


@dataclass(slots=True)
class Page(Generic[T]):
    items: list[T] = field(default_factory=list)
    page: int = 1
    per_page: int = 20
    has_next: bool = False
    next_cursor: str | None = None  # keyset lists only: the token that opens the next page

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @classmethod
    def from_rows(cls, rows: list[T], page: int, per_page: int) -> Page[T]:
        return cls(items=list(rows[:per_page]), page=page, per_page=per_page, has_next=len(rows) > per_page)


def bounds(page: int, per_page: int) -> tuple[int, int, int]:
    """Clamp user input: (page, per_page, offset)."""
    page = max(1, int(page or 1))
    per_page = min(MAX_PER_PAGE, max(1, int(per_page or 20)))
    return page, per_page, (page - 1) * per_page


class BadCursor(ServiceError):
    """A page token that is not ours, was altered, or belongs to another query."""

    status = 400
    code = "penanda_halaman_tidak_valid"
    default_message = (
        "Penanda halaman (setelah) tidak valid atau bukan untuk pencarian ini; "
        "ulangi pencarian dari halaman 1."
    )


def encode_cursor(payload: dict) -> str:
    """An opaque URL-safe token (base64url of compact JSON, no padding)."""
    raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_cursor(token: str) -> dict:
    """The payload of `encode_cursor`, or BadCursor for anything else (never a 500)."""
    token = (token or "").strip()
    if not token or len(token) > 2000:
        raise BadCursor()
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload = json.loads(raw.decode())
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise BadCursor() from None
    if not isinstance(payload, dict):
        raise BadCursor()
    return payload
