"""The options every `siks` command spells the same way (docs/design.md, "Command-line options").

Its own module, importing nothing of siks, so that the store's own commands (`siks db …`) share `--db`
without the store depending on `siks.cli_support`, which depends on the store.
"""

from __future__ import annotations

import typer

DB = typer.Option(None, "--db", help="URL basis data (bawaan: $SIKS_DATABASE_URL atau sqlite:///siks.db).")
OLEH = typer.Option(None, "--oleh", help="Nama pengguna yang bertindak (menentukan peran dan wilayah).")
