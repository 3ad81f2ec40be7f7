"""The start page: who you are, which wilayah you see, and the search box (there is no list of everyone)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from siks.domain.roles import ROLES
from siks.scope import Scope
from siks.web.deps import CurrentUser
from siks.web.templating import NavItem, render

router = APIRouter(include_in_schema=False)
NAV = [NavItem("Beranda", "/", order=0)]


@router.get("/")
def home(request: Request, user: CurrentUser):
    return render(request, "home.html", {"role": ROLES[user.role], "scope_label": Scope.of(user).label()})


@router.get("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico whatever the page says; the icon is the SVG in static/."""
    return RedirectResponse("/static/favicon.svg", status_code=301)
