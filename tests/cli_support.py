"""Driving the `siks` CLI in tests: the commands several test modules run to set up their data."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner, Result

from siks.cli import app


def penetapan_create(url: str, skor: Path, *, judul: str, periode: str, oleh: str) -> Result:
    """`siks penetapan create` over the database at `url`, with the desil scores of the CSV `skor`."""
    args = ["--judul", judul, "--periode", periode, "--skor", str(skor), "--oleh", oleh, "--db", url]
    return CliRunner(env={"COLUMNS": "200"}).invoke(app, ["penetapan", "create", *args])
