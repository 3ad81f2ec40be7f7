"""Valid template rows made with numpy, for the importer's tests and benchmark.

Why here and not siks.synth: the benchmark needs a million rows in seconds and the tests need small,
readable files whose every cell is known; neither needs a realistic population (siks.synth makes that).
Every coded cell is drawn from the instrument's own code lists, so the rows stay valid when a list changes.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from siks.domain import template as T
from siks.domain import wilayah
from siks.domain.instruments import DEFAULT_INSTRUMENT

_FIRST = np.array(
    [
        "SITI",
        "AHMAD",
        "NUR",
        "MUHAMMAD",
        "SRI",
        "AGUS",
        "DEWI",
        "BUDI",
        "RINA",
        "HASAN",
        "YULI",
        "EKO",
        "ANI",
        "JOKO",
        "LINA",
        "SLAMET",
        "WATI",
        "HADI",
        "TUTIK",
        "ROHMAN",
    ]
)
_LAST = np.array(
    [
        "AMINAH",
        "SANTOSO",
        "HIDAYAT",
        "WULANDARI",
        "PRASETYO",
        "RAHAYU",
        "SETIAWAN",
        "LESTARI",
        "KURNIAWAN",
        "FAUZI",
        "MAULANA",
        "SUSANTI",
        "HARTONO",
        "PURNOMO",
        "ASTUTI",
    ]
)
_PLACES = np.array(["JEMBER", "BONDOWOSO", "SURABAYA", "LUMAJANG", "BANYUWANGI", "MALANG"])
_DUSUN = np.array(["KRAJAN", "KRAJAN I", "KRAJAN II", "SUMBERSARI", "TEGALREJO", "KEBONSARI"])


def _strings(values: np.ndarray) -> pa.Array:
    return pa.array(values.astype(str), pa.string())


def _concat(*parts: np.ndarray) -> np.ndarray:
    out = parts[0].astype(str)
    for p in parts[1:]:
        out = np.char.add(out, p.astype(str))
    return out


def _pick_codes(rng: np.random.Generator, column, n: int) -> np.ndarray:
    codes = sorted(column.codes.codes)
    if column.kind == "bitflags":  # every sum of the flags, and the special answers that stand alone
        flags = column.codes.flags
        sums = {sum(f for i, f in enumerate(flags) if m >> i & 1) for m in range(1 << len(flags))}
        codes = sorted(sums | set(column.codes.specials))
    return np.asarray(codes)[rng.integers(0, len(codes), n)]


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    return np.char.zfill(values.astype(np.int64).astype(str), width)


def rows(
    n: int,
    *,
    seed: int = 1,
    instrument: str = DEFAULT_INSTRUMENT,
    kabupaten: str = "35.09",
    warning_rate: float = 0.0,
    prefix: str = "",
) -> pa.Table:
    """`n` template rows (one per anggota) as a table of strings in the template's column order.

    Families of 1–6 members, 10% of ruta with two families; each family has exactly one head. With
    `warning_rate`, that share of members gets an empty NIK (a warning, never an error).
    """
    rng = np.random.default_rng(seed)
    today = dt.date.today()
    sizes = rng.integers(1, 7, n)  # family sizes, trimmed below
    ends = np.cumsum(sizes)
    n_fam = int(np.searchsorted(ends, n) + 1)
    sizes = sizes[:n_fam]
    sizes[-1] -= int(ends[n_fam - 1] - n)
    fam_of = np.repeat(np.arange(n_fam), sizes)
    pos = np.arange(n) - np.repeat(np.cumsum(sizes) - sizes, sizes)  # 0-based position in family
    new_ruta = rng.random(n_fam) >= 0.10  # 10% of families share the ruta of the family before them
    new_ruta[0] = True
    ruta_of_fam = np.cumsum(new_ruta) - 1
    ruta_of = ruta_of_fam[fam_of]
    n_ruta = int(ruta_of_fam[-1]) + 1

    desa = np.array([w.code for w in wilayah.desa_in(kabupaten)])
    ruta_desa = desa[rng.integers(0, len(desa), n_ruta)]
    kec6 = np.char.replace(np.char.rpartition(ruta_desa, ".")[:, 0], ".", "")

    head = pos == 0
    spouse = pos == 1
    sex = np.where(head, 1, np.where(spouse, 2, rng.integers(1, 3, n)))
    start = np.where(head | spouse, np.datetime64("1950-01-01"), np.datetime64("1995-01-01"))
    span = np.where(head | spouse, 16000, 9000)
    born = start + rng.integers(0, span, n).astype("timedelta64[D]")
    born = np.minimum(born, np.datetime64(today) - np.timedelta64(1, "D"))
    b = born.astype(object)
    dd = np.array([d.day for d in b]) + np.where(sex == 2, 40, 0)
    mm = np.array([d.month for d in b])
    yy = np.array([d.year % 100 for d in b])
    nik = _concat(
        kec6[ruta_of], _digits(dd, 2), _digits(mm, 2), _digits(yy, 2), _digits(rng.integers(1, 9999, n), 4)
    )
    if warning_rate:
        nik = np.where(rng.random(n) < warning_rate, "", nik)
    kk_day = np.datetime64("2005-01-01") + rng.integers(0, 6000, n_fam).astype("timedelta64[D]")
    kd = kk_day.astype(object)
    kk = _concat(
        kec6[ruta_of_fam],
        _digits(np.array([d.day for d in kd]), 2),
        _digits(np.array([d.month for d in kd]), 2),
        _digits(np.array([d.year % 100 for d in kd]), 2),
        _digits(rng.integers(1, 9999, n_fam), 4),
    )

    cols: dict[str, pa.Array] = {}
    for column in T.columns_for(instrument):
        key = column.key
        level = {"ruta": (n_ruta, ruta_of), "keluarga": (n_fam, fam_of)}.get(column.level, (n, None))
        size, expand = level
        if key == "id_ruta":
            v = _concat(np.full(n_ruta, f"{prefix}R"), _digits(np.arange(n_ruta), 8))
        elif key == "kode_desa":
            v = ruta_desa
        elif key == "dusun":
            v = _DUSUN[rng.integers(0, len(_DUSUN), n_ruta)]
        elif key in ("rw", "rt"):
            v = rng.integers(1, 20, n_ruta).astype(str)
        elif key == "alamat":
            v = _concat(np.full(n_ruta, "JL MAWAR NO "), rng.integers(1, 300, n_ruta))
        elif key == "id_keluarga":
            v = _concat(np.full(n_fam, f"{prefix}K"), _digits(np.arange(n_fam), 8))
        elif key == "no_kk":
            v = kk
        elif key == "no_urut":
            v = (pos + 1).astype(str)
        elif key == "nama":
            v = _concat(
                _FIRST[rng.integers(0, len(_FIRST), n)],
                np.full(n, " "),
                _LAST[rng.integers(0, len(_LAST), n)],
            )
        elif key == "nik":
            v = nik
        elif key == "jenis_kelamin":
            v = sex.astype(str)
        elif key == "tempat_lahir":
            v = _PLACES[rng.integers(0, len(_PLACES), n)]
        elif key == "tanggal_lahir":
            v = np.datetime_as_string(born, unit="D")
        elif key == "keberadaan":
            v = np.ones(n, dtype=int).astype(str)
        elif key in ("hubungan_kk", "hubungan_krt"):
            v = np.where(head, 1, np.where(spouse, 2, 3)).astype(str)
            if key == "hubungan_krt":  # one KRT per ruta: the head of the ruta's first family
                first_fam = np.concatenate([[True], ruta_of_fam[1:] != ruta_of_fam[:-1]])
                v = np.where(head & first_fam[fam_of], "1", np.where(spouse & first_fam[fam_of], "2", "3"))
        elif key == "status_kawin":
            v = np.where(head | spouse, 2, 1).astype(str)
        elif key == "instrumen":
            v = np.full(n_ruta, instrument)
        elif key == "tanggal_pendataan":
            v = np.full(n_fam, "2023-05-01")
        elif key == "petugas":  # one officer per ruta, as in the field
            v = _concat(np.full(n_ruta, "PPL "), _digits(rng.integers(1, 50, n_ruta), 3))[ruta_of_fam]
        elif key == "hamil":
            v = np.full(n, "2")
        elif column.kind in ("code", "yes_no", "bitflags"):
            v = _pick_codes(rng, column, size).astype(str)
        elif column.kind in ("count", "number"):
            v = rng.integers(column.min_value or 0, min(column.max_value or 100, 100) + 1, size).astype(str)
        else:
            v = np.full(size, "")
        v = np.asarray(v)
        if expand is not None and len(v) == size and size != n:
            v = v[expand]
        cols[key] = _strings(v)
    return pa.table(cols)


def write_csv(table: pa.Table, path: str | Path, *, delimiter: str = ",") -> Path:
    """The rows as a UTF-8 CSV with a header row (what `siks template` gives operators to fill)."""
    path = Path(path)
    buf = io.BytesIO()
    try:  # unquoted, as spreadsheets write it; quoted only when a value needs it
        pacsv.write_csv(table, buf, pacsv.WriteOptions(delimiter=delimiter, quoting_style="none"))
    except pa.ArrowInvalid:
        buf = io.BytesIO()
        pacsv.write_csv(table, buf, pacsv.WriteOptions(delimiter=delimiter, quoting_style="needed"))
    path.write_bytes(buf.getvalue())
    return path


def write_rows(
    records: list[dict[str, str]],
    path: str | Path,
    *,
    instrument: str = DEFAULT_INSTRUMENT,
    delimiter: str = ",",
    encoding: str = "utf-8",
) -> Path:
    """Small hand-made files for tests: dicts of header → text, written in the template's column order."""
    import csv

    path = Path(path)
    headers = T.headers(instrument)
    with open(path, "w", newline="", encoding=encoding) as f:
        w = csv.writer(f, delimiter=delimiter)
        w.writerow(headers)
        for r in records:
            w.writerow([r.get(h, "") for h in headers])
    return path


def records(n: int, **kw) -> list[dict[str, str]]:
    """`rows` as a list of dicts (small n only)."""
    return rows(n, **kw).to_pylist()
