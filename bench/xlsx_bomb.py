"""XLSX bombs: how fast, and in how little memory, the reader refuses them (issue #17 point 9).

Builds the bombs the probe used — a ~1 MB workbook whose one shared string is 1 GiB, one with 30 million
shared strings (no declared count, so they must be counted), one of 3 GiB of content — and a legitimate
template workbook (2,000 rows by default) for comparison. Each is read by `readers.read_file` in a fresh
process; it prints the answer, the wall time and the process's peak resident memory.

    .venv/bin/python bench/xlsx_bomb.py [--work DIR]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

_MEASURE = """
import json, resource, sys, time
from siks.registry import readers
t = time.perf_counter()
try:
    raw = readers.read_file(sys.argv[1])
    answer = f"dibaca: {raw.n_rows} baris"
except readers.ReadError as bad:
    answer = f"{bad.issues[0].code}: {bad.issues[0].message}"
seconds = time.perf_counter() - t
print(json.dumps({"answer": answer, "seconds": seconds,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""
_SST = b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def _base(path: Path, rows: int = 1) -> Path:
    from openpyxl import Workbook

    from siks.registry import sample

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("DTKS")
    records = sample.records(max(rows, 1), seed=1)
    ws.append(list(records[0]))
    for r in records[:rows]:
        ws.append(list(r.values()))
    wb.save(path)
    return path


def _replace(src: Path, dst: Path, member: str, chunks) -> Path:
    """A copy of `src` whose `member` is streamed from `chunks` (the bomb is never whole in memory)."""
    with (
        zipfile.ZipFile(src) as zin,
        zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zout,
    ):
        for info in zin.infolist():
            if info.filename != member:
                zout.writestr(info, zin.read(info.filename))
        with zout.open(member, "w", force_zip64=True) as f:
            for c in chunks:
                f.write(c)
    return dst


def one_big_string(gib: float = 1.0):
    yield _SST + b">" + b"<si><t>"
    block = b"A" * (1 << 20)
    for _ in range(int(gib * 1024)):
        yield block
    yield b"</t></si></sst>"


def many_strings(n: int = 30_000_000):
    yield _SST + b">"
    block = b"".join(b"<si><t>%d</t></si>" % i for i in range(100_000))
    for _ in range(n // 100_000):
        yield block
    yield b"</sst>"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--work", type=Path, default=None)
    ap.add_argument("--legit-rows", type=int, default=2000, help="rows of the legitimate workbook")
    args = ap.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="xlsx_bomb_"))
    work.mkdir(parents=True, exist_ok=True)
    base = _base(work / "base.xlsx")
    files = {
        f"legit_{args.legit_rows}_rows": _base(work / "legit.xlsx", args.legit_rows),
        "one_1GiB_string": _replace(base, work / "big_string.xlsx", "xl/sharedStrings.xml", one_big_string()),
        "30M_strings": _replace(base, work / "many.xlsx", "xl/sharedStrings.xml", many_strings()),
        "3GiB_content": _replace(base, work / "huge.xlsx", "xl/sharedStrings.xml", one_big_string(3.0)),
    }
    results = {}
    for name, path in files.items():
        out = subprocess.run(
            [sys.executable, "-c", _MEASURE, str(path)], capture_output=True, text=True, check=True
        )
        r = json.loads(out.stdout)
        r["file_mb"] = path.stat().st_size / 2**20
        results[name] = r
        size, secs, peak = r["file_mb"], r["seconds"], r["peak_mb"]
        print(f"{name:18} {size:7.2f} MB  {secs:6.2f} s  peak {peak:6.0f} MB  {r['answer'][:80]}")
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
