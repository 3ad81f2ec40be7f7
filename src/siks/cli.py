"""The `siks` command. Each area adds its commands from `siks/<area>/cli.py` (a `register(app)` function)."""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    help="siks — Sistem Informasi Kesejahteraan Sosial: mengelola DTKS dari pendataan sampai penggunaan.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)

# Order is the order in `siks --help`. Add one line per area.
AREAS: tuple[str, ...] = ("store", "registry", "verval", "web", "pmt", "penetapan", "synth")


def _register_areas() -> None:
    for area in AREAS:
        importlib.import_module(f"siks.{area}.cli").register(app)


_register_areas()


@app.callback()
def main() -> None:
    """siks — Sistem Informasi Kesejahteraan Sosial."""


if __name__ == "__main__":
    app()
