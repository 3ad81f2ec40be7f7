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


# One CLI convention (docs/design.md §1, "Command-line options"): the database option is `--db` everywhere,
# and option names are Indonesian words except a short list of technical terms that read the same to an
# operator in either language. A new option with a new word fails here until the word is added below on
# purpose (or the option is renamed).
TECHNICAL_OPTIONS = {
    *("--db", "--host", "--port", "--workers", "--json", "--format", "--seed", "--engine", "--encoding"),
    *("--server", "--jwks", "--callback", "--dir", "--id", "--model", "--program", "--snapshot", "--run"),
    *("--param", "--qr", "--secure-cookie", "--password-stdin", "--ridge", "--help"),
}
_WORDS = """
    alamat alasan anggota antar aturan bangun batas beda berkas berlaku bobot catatan coba desa desil
    di dtks galat ganda ganti geser grup harga identitas instrumen izinkan jangan jenis jk judul
    kab kabupaten kebenaran keluar keluarga kesejahteraan ketat kolom konsumsi kriteria kunci lahir
    laporan latih luar max min model nama oleh pakai paksa pemetaan penduduk penetapan per peran periksa
    periode populasi porsi potongan provinsi proxy registri resmi ruta sama semua server simpan skor
    survei tanggal acuan tanpa tanya tepercaya tingkat tunggu pola ulang uji urutan versi wilayah
"""
INDONESIAN_WORDS = frozenset(_WORDS.split())


def _options() -> list[tuple[str, str, str]]:
    """(command path, option, help) for every option of every command."""
    found = []

    def walk(command, prefix):
        if hasattr(command, "commands"):
            for name, sub in command.commands.items():
                walk(sub, [*prefix, name])
            return
        for param in command.params:
            for opt in (*param.opts, *param.secondary_opts):
                if opt.startswith("--"):
                    found.append((" ".join(prefix), opt, getattr(param, "help", "") or ""))

    walk(typer.main.get_command(app), [])
    return found


OPTIONS = _options()


def test_the_database_option_is_db_everywhere():
    database = [(path, opt) for path, opt, help_ in OPTIONS if help_.startswith("URL basis data")]
    assert len(database) > 40
    assert {opt for _, opt in database} == {"--db"}
    assert not [path for path, opt, _ in OPTIONS if opt == "--url"]


def _outside_convention(option: str) -> bool:
    words = option[2:].split("-")
    return option not in TECHNICAL_OPTIONS and not all(word in INDONESIAN_WORDS for word in words)


def test_option_names_are_indonesian_or_technical():
    wrong = sorted(f"siks {path} {opt}" for path, opt, _ in OPTIONS if _outside_convention(opt))
    assert not wrong, (
        "option names outside the convention (rename, or add the Indonesian word): " + ", ".join(wrong)
    )


def test_the_convention_test_catches_an_english_option():
    probe = typer.Typer()

    @probe.command()
    def export(out: str = typer.Option(..., "--out"), url: str = typer.Option(None, "--url")) -> None:
        """Probe."""

    command = typer.main.get_command(probe)
    names = [opt for p in command.params for opt in p.opts if not opt.endswith("-completion")]
    assert [n for n in names if _outside_convention(n)] == ["--out", "--url"]
