"""One page of results without a total count: counting millions of rows per request is what we avoid.

Services fetch `per_page + 1` rows; the extra row only says whether a next page exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")

MAX_PER_PAGE = 100


@dataclass(slots=True)
class Page(Generic[T]):
    items: list[T] = field(default_factory=list)
    page: int = 1
    per_page: int = 20
    has_next: bool = False

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
