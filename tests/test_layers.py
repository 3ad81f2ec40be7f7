"""The domain layer knows nothing of the web, the database or the engines."""

from __future__ import annotations

import ast
from pathlib import Path

import siks

FORBIDDEN = (
    *("siks.store", "siks.web", "siks.verval", "siks.registry", "siks.usulan", "siks.penetapan"),
    *("sqlalchemy", "alembic", "fastapi", "starlette", "duckdb", "splink", "pyspark", "pandas"),
)


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_domain_imports_no_adapter():
    domain = Path(siks.__file__).parent / "domain"
    offenders = []
    for path in sorted(domain.rglob("*.py")):
        for name in imported_modules(path):
            if any(name == f or name.startswith(f + ".") for f in FORBIDDEN):
                offenders.append(f"{path.relative_to(domain.parent)} imports {name}")
    assert offenders == []


def test_the_check_would_catch_an_offender(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import sqlalchemy\nfrom siks.store.db import make_engine\n")
    assert {"sqlalchemy", "siks.store.db"} <= imported_modules(bad)
