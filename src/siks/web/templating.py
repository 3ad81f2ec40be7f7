"""Jinja2 templates: one environment, Indonesian number and date filters (`angka`, `rupiah`, `persen`,
`tanggal`, `waktu` from siks.domain.formats), the navigation, and `render()`.

Every page extends `base.html` and fills its blocks: `title` (the <title> and the <h1>), `breadcrumb`,
`content`, and optionally `head`. Forms include `{{ csrf_field() }}`. Areas add menu entries by defining
`NAV = [NavItem(...)]` in their route module; `create_app` collects them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fastapi import Request
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape

from siks.domain.field_labels import WILAYAH_FIELDS, field_label, field_value
from siks.domain.formats import angka, persen, rupiah, tanggal, waktu
from siks.domain.masking import mask_nik
from siks.domain.roles import ROLES, has_permission
from siks.domain.status import label_of
from siks.scope import wilayah_label
from siks.web.security import CSRF_FIELD, csrf_token

TEMPLATE_DIR = Path(__file__).parent / "templates"


@dataclass(frozen=True, slots=True)
class NavItem:
    """A menu entry: shown to logged-in users whose role has `permission` (None: everyone logged in) and,
    when `roles` is given, is one of them — the same role set the page's service enforces, so nobody is
    shown a menu item that answers 403."""

    label: str
    path: str
    permission: str | None = None
    order: int = 50
    roles: frozenset[str] | None = None


NAV: list[NavItem] = []


ENTITY_LABEL = {
    "household": "Rumah tangga",
    "family": "Keluarga",
    "member": "Anggota",
    "user": "Akun pengguna",
    "usulan": "Usulan",
    "usulan_batch": "Paket usulan",
    "desil_resmi": "Desil resmi BPS/DTSEN",
    "web_import": "Unggahan impor",
    "import_batch": "Impor berkas",
    "verval_run": "Verval run",
}


def entity_label(entity: str | None) -> str:
    return ENTITY_LABEL.get(entity or "", entity or "-")


def audit_value(value, key: str) -> str:
    """A stored audit value as a person reads it; a wilayah code with its name."""
    if key in WILAYAH_FIELDS and isinstance(value, str) and value:
        return f"{value} ({wilayah_label(value)})"
    return field_value(key, value)


def role_label(code: str | None) -> str:
    r = ROLES.get(code or "")
    return r.label if r else (code or "-")


def _context(request: Request) -> dict:
    user = getattr(request.state, "user", None)
    token = csrf_token(request)
    nav = []
    if user is not None:
        nav = [n for n in sorted(NAV, key=lambda n: (n.order, n.label))
               if (n.permission is None or has_permission(user.role, n.permission))
               and (n.roles is None or user.role in n.roles)]  # fmt: skip
    return {
        "user": user,
        "csrf_token": token,
        "csrf_field": lambda: Markup(f'<input type="hidden" name="{CSRF_FIELD}" value="{escape(token)}">'),
        "nav": nav,
        "current_path": request.url.path,
    }


templates = Jinja2Templates(directory=str(TEMPLATE_DIR), context_processors=[_context])
templates.env.filters.update(
    tanggal=tanggal,
    waktu=waktu,
    angka=angka,
    rupiah=rupiah,
    persen=persen,
    wilayah=wilayah_label,
    mask_nik=mask_nik,
    peran=role_label,
    entitas=entity_label,
    label_kolom=field_label,
    nilai_audit=audit_value,
)
templates.env.globals.update(has_permission=has_permission, role_label=role_label)
templates.env.globals["status_label"] = label_of  # status_label("batch", b.status)


def render(request: Request, name: str, context: dict | None = None, status_code: int = 200):
    return templates.TemplateResponse(request, name, context or {}, status_code=status_code)
