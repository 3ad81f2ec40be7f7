"""What the `siks` commands of every area share: the console, tables, `--db`/`--oleh`, dates, failures.

One home, so that an area's commands never import another area's `cli.py` for a helper.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from siks.cli_options import DB as DB  # re-exported: the areas import the shared options from here
from siks.cli_options import OLEH as OLEH
from siks.errors import ServiceError
from siks.store.db import make_engine, transaction

console = Console(soft_wrap=True)  # long lines stay whole when piped or logged


def table_or_lines(header, rows) -> None:
    """A table on a terminal; tab-separated lines when piped (scripts, logs, tests)."""
    if not console.is_terminal:
        for row in (header, *rows):
            console.print("\t".join(row), highlight=False, soft_wrap=True, markup=False)
        return
    table = Table(*header)
    for row in rows:
        table.add_row(*row)
    console.print(table)


@dataclass(frozen=True)
class Operator:
    """The server operator reading from the command line: national scope, no write rights."""

    username: str = "cli"
    role: str = "auditor"
    wilayah_code: str | None = None
    active: bool = True
    id: int | None = None


def user_of(session, username: str | None):
    """The user named by `--oleh` (active), or the read-only `Operator` when none is named."""
    if username is None:
        return Operator()
    from siks.store.models.accounts import User

    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        raise typer.BadParameter(f"Pengguna '{username}' tidak ada atau nonaktif.", param_hint="--oleh")
    return user


def fail(exc: ServiceError | Exception | str) -> None:
    """Print the refusal in Indonesian and exit with status 1."""
    message = exc.message if isinstance(exc, ServiceError) else str(exc)
    console.print(f"[red]Gagal:[/red] {message}")
    raise typer.Exit(code=1)


@contextmanager
def session_at(url: str | None, *refusals: type[Exception]) -> Iterator:
    """One transaction on the database at `url`, its engine disposed after. A `ServiceError` (or one of
    `refusals`) raised inside prints `Gagal: …` and exits with status 1; the transaction is rolled back."""
    engine = make_engine(url)
    try:
        with transaction(engine) as session:
            yield session
    except (ServiceError, *refusals) as e:
        fail(e)
    finally:
        engine.dispose()


def parse_date(value: str | None, name: str) -> dt.date | None:
    """An option's TTTT-BB-HH date, or a usage error naming the option."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter("gunakan format TTTT-BB-HH", param_hint=name) from None


@contextmanager
def row_progress(description: str, unit: str = "baris") -> Iterator:
    """A progress bar for long CLI work, counted in Indonesian numbers (`12.500 / 250.000 baris`).

    Yields `update(stage, done, total)`, the importer's `progress` callback (stage: "memeriksa",
    "menulis"). On a terminal it draws a bar; piped or logged, rich leaves it out, so scripts that read the
    output see only the final lines.
    """
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from siks.domain.formats import angka

    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[count]}"),
               TimeElapsedColumn())  # fmt: skip
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(description, total=None, count="")

        def update(stage: str, done: int, total: int) -> None:
            count = f"{angka(done)} / {angka(total)} {unit}"
            bar.update(task, description=f"{description}: {stage}", completed=done, total=total, count=count)

        yield update
