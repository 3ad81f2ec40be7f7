"""Every `SIKS_*` setting is a field of `siks.settings.Settings`, and docs/settings.md lists exactly them."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import siks
from siks.domain.usulan import Level
from siks.settings import Settings, SettingsError, docs_table, settings

ROOT = Path(__file__).resolve().parent.parent
SRC = Path(siks.__file__).parent


def test_the_docs_table_is_the_class():
    text = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    table = text.split("<!-- settings-table:begin -->\n", 1)[1].split("<!-- settings-table:end -->", 1)[0]
    assert table == docs_table()


def test_every_siks_variable_named_in_the_source_is_a_setting():
    fields = {f"SIKS_{name.upper()}" for name in Settings.model_fields}
    named: set[str] = set()
    for path in SRC.rglob("*.py"):
        named |= set(re.findall(r"\bSIKS_[A-Z][A-Z0-9_]*[A-Z0-9]\b", path.read_text(encoding="utf-8")))
    assert named - fields == set()
    assert len(fields) >= 8


def test_no_module_reads_its_own_environment_setting():
    """Reading `os.environ`/`os.getenv` is left to siks.settings (writing, for child processes, is fine)."""
    offenders = []
    for path in SRC.rglob("*.py"):
        if path.name == "settings.py" and path.parent == SRC:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                target = ast.unparse(node.func)
                if target in ("os.environ.get", "os.getenv") and "SIKS_" in ast.unparse(node):
                    offenders.append(f"{path.relative_to(SRC)}: {ast.unparse(node)}")
    assert offenders == []


def test_values_are_read_typed_and_when_asked(monkeypatch, tmp_path):
    monkeypatch.setenv("SIKS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SIKS_USULAN_TOP_LEVEL", " Kabupaten ")
    monkeypatch.setenv("SIKS_MAX_UPLOAD_MB", "0.5")
    monkeypatch.setenv("SIKS_COOKIE_SECURE", "true")
    monkeypatch.setenv("SIKS_DATABASE_URL", "")  # empty counts as unset
    current = settings()
    assert current.data_dir == tmp_path
    assert current.usulan_top_level is Level.KABUPATEN
    assert current.max_upload_bytes == 512 * 1024
    assert current.cookie_secure is True
    assert current.database_url == "sqlite:///siks.db"
    monkeypatch.setenv("SIKS_COOKIE_SECURE", "0")
    assert settings().cookie_secure is False


def test_the_secret_key_does_not_show_in_reprs(monkeypatch):
    monkeypatch.setenv("SIKS_SECRET_KEY", "rahasia-sekali")
    current = settings()
    assert current.secret_key is not None and current.secret_key.get_secret_value() == "rahasia-sekali"
    assert "rahasia-sekali" not in repr(current)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SIKS_MAX_UPLOAD_MB", "sepuluh", r"SIKS_MAX_UPLOAD_MB: nilai 'sepuluh' bukan angka"),
        ("SIKS_MAX_UPLOAD_MB", "-1", r"SIKS_MAX_UPLOAD_MB: nilai '-1' harus lebih dari 0"),
        (
            "SIKS_USULAN_TOP_LEVEL",
            "kota",
            r"TOP_LEVEL: nilai 'kota' tidak dikenal, pilih .*pusat",
        ),
        ("SIKS_COOKIE_SECURE", "mungkin", r"SIKS_COOKIE_SECURE: nilai 'mungkin' bukan ya/tidak"),
        ("SIKS_DUCKDB_MEMORY", "banyak", r"SIKS_DUCKDB_MEMORY: nilai 'banyak' bukan ukuran memori"),
    ],
)
def test_bad_values_name_the_variable_in_indonesian(monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=message):
        settings()
