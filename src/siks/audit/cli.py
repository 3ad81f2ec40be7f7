"""`siks audit verify`: recompute the audit hash chain and name the first broken link (#17.14)."""

from __future__ import annotations

import typer

from siks.cli_support import DB, console, fail, session_at

audit_app = typer.Typer(help="Jejak audit: pemeriksaan rantai hash.", no_args_is_help=True)


@audit_app.command("verify")
def verify_cmd(url: str | None = DB) -> None:
    """Memeriksa rantai hash jejak audit; keluar dengan status 1 pada mata rantai pertama yang putus."""
    from siks.audit import chain

    with session_at(url) as session:
        verdict = chain.verify(session)
    n = f"{verdict.checked:,}".replace(",", ".")
    if not verdict.ok:
        fail(f"rantai jejak audit putus: {verdict.problem} ({n} entri sebelumnya utuh).")
    console.print(f"Rantai jejak audit utuh: {n} entri diperiksa.")


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")
