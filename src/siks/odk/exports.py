"""Import KoBoToolbox and ODK Central exports (CSV/XLSX) into the registry through the same importer.

Why through `siks import`: an export mapped to the import template gets exactly the validation, the atomic
write and the row-level errors of any other pendataan file. This module only (1) reads the export as those
tools write it, (2) joins the repeat group of anggota to its household row, (3) renames columns by a field
mapping, and (4) says, for every error, which row of which sheet/file of the export it came from.

What the tools write (checked against their documentation and real exports):
- KoBoToolbox XLSX: one sheet for the main form, one per repeat group (sheet name = the repeat's name);
  group paths in headers joined by `/` (`rumah/jenis_lantai`); main rows carry `_index`, repeat rows
  `_parent_index` pointing at it. KoBo CSV holds the main sheet only.
- ODK Central CSV (from the .zip): `<form>.csv` and `<form>-<repeat>.csv`; group paths joined by `-`
  (`meta-instanceID`); main rows carry `KEY` (the instanceID), repeat rows `PARENT_KEY` and their own `KEY`.
Choice questions must be exported as values (codes), not labels: the template speaks codes.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from siks.domain.template import RowIssue, columns_for
from siks.registry.importer import ImportResult, import_file

META_COLUMNS = frozenset(
    {
        "_index",
        "_parent_index",
        "_parent_table_name",
        "_submission__id",
        "_submission__uuid",
        "_id",
        "_uuid",
        "_submission_time",
        "_validation_status",
        "_notes",
        "_status",
        "_submitted_by",
        "_tags",
        "_version",
        "__version__",
        "key",
        "parent_key",
        "submissiondate",
        "submitterid",
        "submittername",
        "attachmentspresent",
        "attachmentsexpected",
        "status",
        "reviewstate",
        "deviceid",
        "edits",
        "formversion",
    }
)


class ExportError(ValueError):
    """The export cannot be mapped; `issues` name the file, row and field (nothing was imported)."""

    def __init__(self, issues: list[RowIssue]) -> None:
        super().__init__("; ".join(i.message for i in issues[:3]))
        self.issues = issues


@dataclass
class Sheet:
    """One table of an export: its name (sheet or file), headers as written, and rows of text."""

    name: str
    headers: list[str]
    rows: list[list[str]]

    def records(self) -> list[dict[str, str]]:
        return [
            dict(zip(self.headers, r + [""] * (len(self.headers) - len(r)), strict=False)) for r in self.rows
        ]


def _cell(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return (
            value.isoformat()[:10]
            if hasattr(value, "hour") and not (value.hour or value.minute)
            else value.isoformat()
        )
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_export(path: Path) -> list[Sheet]:
    """Every table of one export file: the sheets of an XLSX, or the one table of a CSV."""
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True, data_only=True)
        sheets = []
        for ws in wb.worksheets:
            rows = [[_cell(v) for v in r] for r in ws.iter_rows(values_only=True)]
            rows = [r for r in rows if any(r)]
            if rows:
                sheets.append(Sheet(ws.title, rows[0], rows[1:]))
        wb.close()
        return sheets
    text = path.read_bytes().decode("utf-8-sig")
    rows = [r for r in csv.reader(io.StringIO(text)) if any(c.strip() for c in r)]
    if not rows:
        raise ExportError([RowIssue("ODK_EXPORT_EMPTY", f"{path.name}: berkas kosong.", None, None, "error")])
    return [Sheet(path.stem, [h.strip() for h in rows[0]], [[c.strip() for c in r] for r in rows[1:]])]


def _leaf(header: str) -> str:
    """`rumah/jenis_lantai` (KoBo) or `rumah-jenis_lantai` (Central) → `jenis_lantai`."""
    return header.replace("/", "-").rsplit("-", 1)[-1].strip().lower()


def _index(record: dict[str, str], names: tuple[str, ...]) -> str | None:
    lower = {k.lower(): v for k, v in record.items()}
    for n in names:
        if lower.get(n):
            return lower[n]
    return None


@dataclass
class Converted:
    """The export as template rows, and where each came from (for the error messages)."""

    headers: list[str]
    rows: list[dict[str, str]]
    origin: list[str]


def convert(main: Sheet, repeat: Sheet | None, mapping: dict[str, str], instrument: str) -> Converted:
    """One template row per anggota: each repeat row joined to its household row, columns renamed."""
    template = [c.key for c in columns_for(instrument)]
    issues: list[RowIssue] = []
    for key in mapping:
        if key not in template:
            issues.append(
                RowIssue(
                    "ODK_MAPPING_COLUMN", f"Pemetaan: '{key}' bukan kolom templat siks.", key, None, "error"
                )
            )
    available = {h for s in (main, repeat) if s for h in s.headers} | {
        _leaf(h) for s in (main, repeat) if s for h in s.headers
    }
    for key, source in mapping.items():
        if source not in available and _leaf(source) not in available:
            issues.append(
                RowIssue(
                    "ODK_MAPPING_SOURCE",
                    f"Pemetaan: kolom '{source}' (untuk {key}) tidak ada dalam berkas ekspor.",
                    key,
                    source,
                    "error",
                )
            )
    if issues:
        raise ExportError(issues)
    wanted = {key: mapping.get(key, key) for key in template}

    def pick(record: dict[str, str]) -> dict[str, str]:
        by_leaf = {_leaf(h): v for h, v in record.items() if _leaf(h) not in META_COLUMNS}
        out = {}
        for key, source in wanted.items():
            if source in record:
                out[key] = record[source]
            elif _leaf(source) in by_leaf:
                out[key] = by_leaf[_leaf(source)]
        return out

    rows, origin = [], []
    parents: dict[str, tuple[int, dict]] = {}
    for n, record in enumerate(main.records(), start=2):
        for key in (
            _index(record, ("_index",)),
            _index(record, ("key", "meta-instanceid", "meta/instanceid")),
        ):
            if key:
                parents[key] = (n, record)
    if repeat is None:
        for n, record in enumerate(main.records(), start=2):
            rows.append(pick(record))
            origin.append(f"{main.name} baris {n}")
    else:
        for n, record in enumerate(repeat.records(), start=2):
            link = _index(record, ("_parent_index", "parent_key"))
            if link not in parents:
                issues.append(
                    RowIssue(
                        "ODK_EXPORT_PARENT",
                        f"{repeat.name} baris {n}: induk '{link}' tidak ada di {main.name}.",
                        "_parent_index",
                        link,
                        "error",
                        rows=(n,),
                    )
                )
                continue
            pn, parent = parents[link]
            rows.append(pick(parent) | {k: v for k, v in pick(record).items() if v != ""})
            origin.append(f"{repeat.name} baris {n} (induk: {main.name} baris {pn})")
    if issues:
        raise ExportError(issues)
    found = {k for r in rows for k in r}
    return Converted([k for k in template if k in found], rows, origin)


def _locate(issue, converted: Converted):
    """The same issue, its message prefixed with where in the export the row came from."""
    if not isinstance(issue, RowIssue) or not issue.rows or issue.rows[0] < 2:
        return issue
    where = converted.origin[issue.rows[0] - 2] if issue.rows[0] - 2 < len(converted.origin) else None
    if where is None:
        return issue
    return RowIssue(
        issue.code,
        f"[ekspor: {where}] {issue.message}",
        issue.field,
        issue.value,
        issue.severity,
        rows=issue.rows,
    )


def pick_tables(
    sheets: list[Sheet], repeat_file: Path | None, repeat_name: str
) -> tuple[Sheet, Sheet | None]:
    """Main table and anggota table: the first sheet, and the sheet named after the repeat (or the file)."""
    main = sheets[0]
    if repeat_file is not None:
        return main, read_export(repeat_file)[0]
    repeat = next(
        (
            s
            for s in sheets[1:]
            if s.name.lower() in (repeat_name.lower(), f"{main.name}-{repeat_name}".lower())
        ),
        None,
    )
    return main, repeat


def import_export(
    engine: Engine,
    path: Path,
    *,
    mapping: dict[str, str] | None = None,
    repeat_file: Path | None = None,
    repeat_name: str = "anggota",
    instrument: str = "REGSOSEK2022.K",
    actor: str | None = None,
    strict: bool = False,
) -> ImportResult:
    """Map a KoBo/Central export to the template and import it; errors name the export's rows."""
    sheets = read_export(Path(path))
    main, repeat = pick_tables(sheets, repeat_file, repeat_name)
    converted = convert(main, repeat, mapping or {}, instrument)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / f"{Path(path).stem}.siks.csv"
        with open(out, "w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, converted.headers)
            w.writeheader()
            w.writerows(converted.rows)
        result = import_file(engine, out, actor or "impor-odk", instrument=instrument, strict=strict)
    result.issues = [_locate(i, converted) for i in result.issues]
    return result


def load_mapping(path: Path | None) -> dict[str, str]:
    """A JSON object: template column → export column (its full path or just the question name)."""
    if path is None:
        return {}
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        raise ExportError(
            [
                RowIssue(
                    "ODK_MAPPING", f"{path}: pemetaan harus objek JSON kolom → kolom.", None, None, "error"
                )
            ]
        )
    return data
