"""Personal names as registers compare them: letters only, and without titles.

Why: a title is not part of the name, yet each register writes it its own way. Permendagri 73/2022
(Pencatatan Nama pada Dokumen Kependudukan) Pasal 5 lets a resident have academic, religious and adat
titles written, abbreviated, on the KK and KTP-el, and forbids them on akta pencatatan sipil (birth,
death, marriage certificates); DTKS enumerators write what people say ("DRS. SUPARMAN", "LAMINAH S.PD");
BKD lists add degrees after a comma ("SUMARNO, S.Pd., M.Pd."). So one person's name appears with and
without titles, and a name check that keeps them reports a false mismatch and misses a duplicate.
docs/verval.md §3c.

The rule, on the normalised name (upper-case letters and single spaces):
- titles before the name (`LEADING_TITLES`) are removed from the front, as many as there are;
- degrees after the name (`TRAILING_DEGREES`, with or without their dots or a comma before them) are
  removed from the end, as many as there are;
- never the last word left: "H." alone, or "DR" alone, stays a name;
- a leading H / HJ is read as haji/hajah, never as an initial: the name key already drops H everywhere
  (verval/linkage.py FILLER_PARTS), and the remaining words must still agree;
- a title inside the name is left alone (I GUSTI, ANDI, RADEN, SYARIFAH are names here: Dukcapil
  writes them as part of the name).

`LEADING_PATTERN` and `TRAILING_PATTERN` use only the regular expressions that Python, DuckDB (RE2) and
Spark (Java) read alike; the verval step `prepare` builds its SQL from them (`normalize` is the same rule
in Python, for tests and the online padan).
"""

from __future__ import annotations

import re

#: Titles written before a name, as usually written; each also matches without its dots (K.H., K H, KH).
LEADING_TITLES = (
    "Prof",
    "Dr",
    "Drs",
    "Dra",
    "drg",
    "Ir",
    "H",
    "Hj",
    "Haji",
    "Hajah",
    "Hajjah",
    "K.H",
    "Kyai",
    "Kiai",
    "TGH",
    "Ust",
    "Ustadz",
    "Ustaz",
    "Ustadzah",
    "Ustazah",
    "Ns",
)
#: Degrees written after a name (Indonesian sarjana, magister, diploma, and the few foreign ones seen on
#: BKD lists), dotted as usually written; each also matches without its dots (S.Pd, S PD, SPD).
#: Left out on purpose: S.S. and M.A. (SS, MA end real names, e.g. Chinese-Indonesian given names).
TRAILING_DEGREES = (
    "S.Pd.I",
    "S.Pd",
    "S.Ag",
    "S.E",
    "S.H",
    "S.H.I",
    "S.Kom",
    "S.I.Kom",
    "S.Sos",
    "S.Sos.I",
    "S.T",
    "S.IP",
    "S.Kep",
    "S.KM",
    "S.Farm",
    "S.Si",
    "S.Psi",
    "S.Hut",
    "S.P",
    "S.Pt",
    "S.Pi",
    "S.Ked",
    "S.Keb",
    "S.Gz",
    "S.Ak",
    "S.Sy",
    "S.Th",
    "S.Tr.Keb",
    "S.ST",
    "M.Pd.I",
    "M.Pd",
    "M.Si",
    "M.Ag",
    "M.Kes",
    "M.Hum",
    "M.M",
    "M.T",
    "M.Kom",
    "M.H",
    "M.E",
    "M.Sc",
    "MBA",
    "A.Md.Keb",
    "A.Md.Kep",
    "A.Md.Kes",
    "A.Md.Farm",
    "A.Md",
    "A.Ma.Pd",
    "A.Ma",
    "Lc",
    "B.Sc",
    "Ns",
)


def _parts(title: str) -> list[str]:
    return re.sub(r"[^A-Z]", " ", title.upper()).split()


#: Portable regex: the leading titles, each followed by a space (so the last word is never taken).
LEADING_PATTERN = "^((" + "|".join(" ?".join(_parts(t)) for t in LEADING_TITLES) + ") )+"
#: Portable regex: the trailing degrees, each preceded by a space (so the first word is never taken);
#: a dotted degree's parts may be written together ("S PD", "SPD", "S PD I", "S PDI").
TRAILING_PATTERN = "( (" + "|".join(" ?".join(_parts(t)) for t in TRAILING_DEGREES) + "))+$"

#: Neutral SQL of the plain normalisation (the verval step `prepare` wraps it); `normalize` mirrors it.
NON_LETTER = "[^A-Z]"


def plain(name: str | None) -> str:
    """Upper-case letters and single spaces: 'Siti  Aminah,S.Pd' → 'SITI AMINAH S PD'."""
    return re.sub(r" +", " ", re.sub(NON_LETTER, " ", (name or "").upper())).strip()


def strip_titles(normalised: str) -> str:
    """The plain-normalised name without leading titles and trailing degrees ('DRS H SUPARMAN M PD' →
    'SUPARMAN'); at least one word is always left."""
    return re.sub(TRAILING_PATTERN, "", re.sub(LEADING_PATTERN, "", normalised))


def normalize(name: str | None) -> str:
    """The name as padan and ganda compare it: 'Drs. H. Suparman, M.Pd' → 'SUPARMAN'."""
    return strip_titles(plain(name))
