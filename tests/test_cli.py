"""Every `siks` help screen speaks Bahasa Indonesia, like the rest of the user-facing text."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from siks.cli import app

ENGLISH = (
    *("Show this message and exit", "─ Options ─", "─ Commands ─", "─ Arguments ─"),
    *("[default:", "[required]"),
)


def _command_paths() -> list[list[str]]:
    root = typer.main.get_command(app)
    paths: list[list[str]] = [[]]

    def walk(group, prefix):
        for name, command in sorted(group.commands.items()):
            paths.append([*prefix, name])
            if hasattr(command, "commands"):
                walk(command, [*prefix, name])

    walk(root, [])
    return paths


PATHS = _command_paths()


def test_every_area_registered_its_commands():
    top = {p[0] for p in PATHS if p}
    assert {"import", "export", "template", "ringkasan", "synth", "db", "verval", "reference", "pmt", "serve",
            "demo", "user", "penetapan", "program"} <= top  # fmt: skip


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "siks")
def test_help_is_indonesian(path):
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    assert "Tampilkan bantuan ini lalu keluar." in result.output
    assert "Opsi" in result.output
    for phrase in ENGLISH:
        assert phrase not in result.output, f"{' '.join(path)}: {phrase!r}"
