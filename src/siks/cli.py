"""The `siks` command. Each area adds its commands from `siks/<area>/cli.py` (a `register(app)` function)."""

from __future__ import annotations

import getpass
import importlib
import os
import socket

import typer
import typer.core
from typer import rich_utils

from siks.audit.service import set_origin


def _speak_indonesian() -> None:
    """Typer's and Click's own words on the help screens, in the language of every other siks message.

    Both read these at render time from module constants (and the help option's text), so one place sets
    them; `tests/test_cli.py` fails if an English label comes back after an upgrade.
    """
    rich_utils.ARGUMENTS_PANEL_TITLE = "Argumen"
    rich_utils.OPTIONS_PANEL_TITLE = "Opsi"
    rich_utils.COMMANDS_PANEL_TITLE = "Perintah"
    rich_utils.ERRORS_PANEL_TITLE = "Galat"
    rich_utils.ABORTED_TEXT = "Dibatalkan."
    rich_utils.RICH_HELP = "Coba [blue]'{command_path} {help_option}'[/] untuk bantuan."
    rich_utils.DEFAULT_STRING = "[bawaan: {}]"
    rich_utils.REQUIRED_LONG_STRING = "[wajib]"
    rich_utils.ENVVAR_STRING = "[variabel lingkungan: {}]"
    rich_utils.DEPRECATED_STRING = "(usang) "
    # Typer ≥ 0.29 carries its own copy of Click's Command; patch whichever class defines the help option.
    owner = next(c for c in typer.core.TyperCommand.__mro__ if "get_help_option" in vars(c))
    english = owner.get_help_option
    if getattr(english, "_siks", False):
        return

    def get_help_option(self, ctx):
        option = english(self, ctx)
        if option is not None:
            option.help = "Tampilkan bantuan ini lalu keluar."
        return option

    get_help_option._siks = True
    owner.get_help_option = get_help_option


_speak_indonesian()


def mark_os_user() -> None:
    """Record the operating-system user (and host) on every audit entry this command writes: `--oleh`
    names a siks user without a password, so the trail also says who really ran it (#17.6)."""
    try:
        who = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry and no $USER (some containers)
        who = f"uid{os.getuid()}"
    set_origin(f"os:{who}@{socket.gethostname()}")


app = typer.Typer(
    help="siks — Sistem Informasi Kesejahteraan Sosial: mengelola DTKS dari pendataan sampai penggunaan.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    add_completion=False,
)

# Order is the order in `siks --help`. Add one line per area.
AREAS: tuple[str, ...] = (
    "store",
    "registry",
    "verval",
    "web",
    "pmt",
    "penetapan",
    "programs",
    "synth",
    "odk",
    "dci",
    "ppks",
    "sync",
    "audit",
)


def _register_areas() -> None:
    for area in AREAS:
        importlib.import_module(f"siks.{area}.cli").register(app)


_register_areas()


@app.callback()
def main() -> None:
    """siks — Sistem Informasi Kesejahteraan Sosial."""
    mark_os_user()  # the web app clears it again (create_app): its users are logged in


if __name__ == "__main__":
    app()
