"""The layers hold: the import-linter contracts in `.importlinter` are kept, and they would catch a breach.

`make lint` runs `lint-imports` too; this test keeps the contracts honest (every package named, every
package visible to the tools) and shows that each contract fails on the breach it is there for.
"""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
from pathlib import Path

import siks

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = Path(siks.__file__).parent
CONFIG = ROOT / ".importlinter"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(src: Path, config: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(config), "--no-cache"],
        capture_output=True, text=True, env=env, cwd=src, check=False,
    )  # fmt: skip


def test_the_contracts_are_kept():
    result = lint_imports(PACKAGE.parent, CONFIG)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 kept, 0 broken" in result.stdout


def test_every_package_has_an_init():
    missing = [
        str(d.relative_to(PACKAGE.parent))
        for d in sorted({p.parent for p in PACKAGE.rglob("*.py")})
        if not (d / "__init__.py").exists()
    ]
    assert missing == []


def test_the_domain_contract_names_every_other_part_of_siks():
    parser = configparser.ConfigParser()
    parser.read(CONFIG)
    forbidden = set(parser["importlinter:contract:domain-pure"]["forbidden_modules"].split())
    parts = {p.stem if p.is_file() else p.name for p in PACKAGE.iterdir()
             if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").exists()}  # fmt: skip
    assert {f"siks.{p}" for p in parts - {"domain"}} <= forbidden


def test_each_contract_catches_its_breach(tmp_path):
    src = tmp_path / "src"
    shutil.copytree(PACKAGE, src / "siks", ignore=shutil.ignore_patterns("__pycache__", "data", "templates"))
    breaches = {
        "domain/nik.py": "import sqlalchemy\nfrom siks.store.db import make_engine\n",
        "audit/service.py": "import siks.accounts.service\n",  # accounts already imports audit
        "web/routes/home.py": "from siks.store.models.registry import Household\n",
        "registry/summary.py": "import duckdb\n",
    }
    for path, line in breaches.items():
        with open(src / "siks" / path, "a") as f:
            f.write("\n" + line)
    result = lint_imports(src, CONFIG)
    assert result.returncode == 1
    assert "0 kept, 4 broken" in result.stdout, result.stdout
    for shown in ("siks.domain.nik -> sqlalchemy", "siks.domain.nik -> siks.store.db",
                  "siks.web.routes.home -> siks.store", "siks.registry.summary -> duckdb"):  # fmt: skip
        assert shown in result.stdout
