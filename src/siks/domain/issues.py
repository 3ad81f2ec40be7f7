"""One shape for every rule violation, so import reports, verval findings and the web show the same thing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Issue:
    """A broken rule. `code` is stable (documented, used by reports and tests); `message` is Indonesian."""

    code: str
    message: str
    field: str | None = None
    value: str | None = None
    severity: Severity = "error"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


class SplitsIssues:
    """`errors` and `warnings` of an object's `issues` (an import result, a checked part, an upload)."""

    issues: list[Issue]

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.is_error]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if not i.is_error]
