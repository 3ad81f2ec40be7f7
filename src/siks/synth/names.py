"""Names that look like Jember's: Javanese and Madurese, by birth cohort and sex, and their variants.

Pools (data/names.txt) are combined by patterns: an old Javanese man is most often one word (SUPARMAN),
a Madurese man of the 1970s often "MOH." plus an Arabic name, a child of the 2010s two or three modern
words (MUHAMMAD RIZKY PRATAMA). Sampling is index arithmetic on pools plus one Arrow join per pattern.

`variant` makes what operators and nicknames do to a name (Wawan for Hermawan, MOH. for MUHAMMAD,
SOEKARNO for SUKARNO, a dropped or added part, a typo); it runs only on the few records that get one.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from siks.domain import names as name_rules

from . import arrays

# (ethnicity, cohort, sex) → [(weight, (pool, pool, ...)), ...]. Cohorts: 0 born < 1965, 1 < 1990, 2 later.
PATTERNS: dict[tuple[str, int, int], list[tuple[float, tuple[str, ...]]]] = {
    ("jawa", 0, 1): [(0.88, ("jawa_old_m",)), (0.12, ("jawa_mid_m_first", "jawa_mid_m_last"))],
    ("jawa", 0, 2): [(0.90, ("jawa_old_f",)), (0.10, ("jawa_mid_f_first", "jawa_mid_f_last"))],
    ("jawa", 1, 1): [
        (0.35, ("jawa_mid_m_single",)),
        (0.50, ("jawa_mid_m_first", "jawa_mid_m_last")),
        (0.15, ("jawa_old_m",)),
    ],
    ("jawa", 1, 2): [
        (0.35, ("jawa_mid_f_single",)),
        (0.50, ("jawa_mid_f_first", "jawa_mid_f_last")),
        (0.15, ("jawa_old_f",)),
    ],
    ("jawa", 2, 1): [
        (0.45, ("young_m_first", "young_m_last")),
        (0.35, ("young_m_first", "young_m_last", "young_m_last")),
        (0.20, ("jawa_mid_m_first", "young_m_last")),
    ],
    ("jawa", 2, 2): [
        (0.45, ("young_f_first", "young_f_last")),
        (0.35, ("young_f_first", "young_f_last", "young_f_last")),
        (0.20, ("jawa_mid_f_first", "young_f_last")),
    ],
    ("madura", 0, 1): [(0.70, ("madura_old_m",)), (0.30, ("madura_prefix_m", "madura_old_m"))],
    ("madura", 0, 2): [(0.85, ("madura_old_f",)), (0.15, ("madura_mid_f_prefix", "madura_mid_f_core"))],
    ("madura", 1, 1): [
        (0.55, ("madura_prefix_m", "madura_mid_m_core")),
        (0.30, ("madura_mid_m_core",)),
        (0.15, ("madura_old_m",)),
    ],
    ("madura", 1, 2): [
        (0.50, ("madura_mid_f_prefix", "madura_mid_f_core")),
        (0.30, ("madura_mid_f_core",)),
        (0.20, ("madura_old_f",)),
    ],
    ("madura", 2, 1): [
        (0.50, ("madura_prefix_m", "madura_young_m_core")),
        (0.25, ("young_m_first", "madura_young_m_core")),
        (0.25, ("young_m_first", "young_m_last")),
    ],
    ("madura", 2, 2): [
        (0.45, ("madura_mid_f_prefix", "madura_young_f_core")),
        (0.30, ("madura_young_f_core",)),
        (0.25, ("young_f_first", "young_f_last")),
    ],
}
_INNER_DOT = re.compile(r"\.(?=[A-Z])")


@cache
def pools() -> dict[str, tuple[str, ...]]:
    """Pool name → names (upper case). A dot inside a token joins words: ABDUL.KADIR is "ABDUL KADIR"."""
    text = resources.files("siks.synth").joinpath("data/names.txt").read_text("utf-8")
    out: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1]
            out[current] = []
        elif current is not None:
            out[current].extend(_INNER_DOT.sub(" ", tok) for tok in line.split())
    return {k: tuple(v) for k, v in out.items()}


@cache
def _arrow_pool(name: str) -> pa.Array:
    return pa.array(pools()[name], type=pa.string())


def sample(rng: np.random.Generator, sex: np.ndarray, birth_year: np.ndarray, madura: np.ndarray) -> pa.Array:
    """One full name per person (Arrow strings, upper case)."""
    n = len(sex)
    cohort = np.where(birth_year < 1965, 0, np.where(birth_year < 1990, 1, 2))
    chunks: list[pa.Array] = []
    where: list[np.ndarray] = []
    for (eth, coh, sx), patterns in PATTERNS.items():
        members = np.flatnonzero((madura == (eth == "madura")) & (cohort == coh) & (sex == sx))
        if len(members) == 0:
            continue
        weights = np.array([p for p, _ in patterns])
        choice = rng.choice(len(patterns), size=len(members), p=weights / weights.sum())
        for i, (_, parts) in enumerate(patterns):
            idx = members[choice == i]
            if len(idx) == 0:
                continue
            columns = []
            previous: tuple[str, np.ndarray] | None = None
            for pool in parts:
                size = len(pools()[pool])
                k = rng.integers(0, size, len(idx))
                if previous is not None and previous[0] == pool:  # no "NUR NUR"
                    k = np.where(k == previous[1], (k + 1) % size, k)
                previous = (pool, k)
                columns.append(_arrow_pool(pool).take(pa.array(k)))
            joined = columns[0] if len(columns) == 1 else pc.binary_join_element_wise(*columns, " ")
            chunks.append(joined)
            where.append(idx)
    if not chunks:
        return pa.array([], type=pa.string())
    positions = np.concatenate(where)
    inverse = np.empty(n, dtype=np.int64)
    inverse[positions] = np.arange(n)
    return pa.concat_arrays(chunks).take(pa.array(inverse))


# --- variants ----------------------------------------------------------------------------------------------

_VOWELS = "AEIOU"
_DIGRAPHS = {"NG", "NY", "KH", "SY", "TH", "DH", "DJ", "TJ", "CH", "SH"}
_ABBREV = {
    "MUHAMMAD": ("MOH.", "MOCH.", "M.", "MUHAMAD", "MOHAMMAD", "MOCHAMAD"),
    "MOHAMMAD": ("MUHAMMAD", "MOH.", "M."),
    "MOHAMAD": ("MUHAMMAD", "MOH."),
    "MOH.": ("MUHAMMAD", "MOCH.", "M.", "MOHAMMAD", "MOCH"),
    "MOCH.": ("MOH.", "MOCHAMMAD", "MUHAMMAD", "M."),
    "ABD.": ("ABDUL", "ABDUL", "A."),
    "ABDUL": ("ABD.", "A."),
    "AHMAD": ("ACHMAD", "AHMAT", "A."),
    "ACHMAD": ("AHMAD", "ACH."),
    "SITI": ("SITTI", "ST."),
    "SITTI": ("SITI",),
    "NUR": ("NURUL",),
    "NURUL": ("NUR",),
}
# Spelling rules (regex, replacement): old Dutch-era spelling, Madurese/Arabic sounds, final vowels.
_SPELLING = (
    (r"U", "OE"),
    (r"OE", "U"),
    (r"\bJ", "DJ"),
    (r"\bDJ", "J"),
    (r"Y(?=[AEIOU])", "J"),
    (r"\bKH", "H"),
    (r"\bH(?=[AEIOU])", "KH"),
    (r"I\b", "Y"),
    (r"Y\b", "I"),
    (r"AH\b", "A"),
    (r"(?<=[AEIOU])A\b", "AH"),
    (r"MM", "M"),
    (r"NN", "N"),
    (r"TH", "T"),
    (r"SY", "S"),
    (r"\bF", "P"),
    (r"Q", "K"),
    (r"\bZ", "J"),
    (r"'", ""),
    (r"(?<=[AEIOU])([BDKLMNPRST])(?=[AEIOU])", r"\1\1"),
)
# a part added to the name; titles (H., HJ.) are not name faults but the `gelar` pattern: the name check
# strips them (siks.domain.names)
_ADD_MALE = ("MOH.", "AHMAD", "ABD.")
_ADD_FEMALE = ("SITI", "NUR")
#: Titles DTKS enumerators write and Dukcapil does not: (title, before the name?, sex or 0 for both)
TITLES = (
    ("DRS.", True, 1),
    ("DRA.", True, 2),
    ("IR.", True, 0),
    ("DR.", True, 0),
    ("H.", True, 1),
    ("HJ.", True, 2),
    ("S.PD", False, 0),
    ("S.E", False, 0),
    ("S.H", False, 0),
    ("S.AG", False, 0),
    ("A.MD", False, 0),
)
_SUFFIX_MALE = ("ARIFIN", "HIDAYAT", "SANTOSO", "SHOLEH", "FAUZI")
_SUFFIX_FEMALE = ("AMINAH", "LESTARI", "WATI", "NINGSIH", "ROHMAH")


def syllables(word: str) -> list[str]:
    """Rough Indonesian syllables: HERMAWAN → HER-MA-WAN, SUHARTONO → SU-HAR-TO-NO."""
    parts = re.findall(r"[^AEIOU]*[AEIOU]+", word)
    if not parts:
        return [word]
    tail = word[sum(len(p) for p in parts) :]
    for i in range(1, len(parts)):
        onset = re.match(r"[^AEIOU]*", parts[i]).group(0)  # type: ignore[union-attr]
        keep = 2 if onset[-2:] in _DIGRAPHS else 1
        if len(onset) > keep:
            parts[i - 1] += onset[:-keep]
            parts[i] = parts[i][len(onset) - keep :]
    parts[-1] += tail
    return parts


def nickname(word: str, x: float) -> str | None:
    """A panggilan: the last two syllables (TONO), a doubled last syllable (WAWAN) or a clipped head
    (FATHOR for FATHORRAHMAN). None when the word is too short to shorten."""
    syl = syllables(word)
    if len(syl) < 3:
        return None
    last = syl[-1]
    onset = re.match(r"[^AEIOU]*[AEIOU]", last)
    if len(syl) >= 4 and x < 0.35:
        head = syl[0] + syl[1]
        if head[-1] in _VOWELS:
            head += re.match(r"[^AEIOU]*", syl[2]).group(0)[:1]  # type: ignore[union-attr]
        return head
    if onset and last[-1] not in _VOWELS and x < 0.7:
        return onset.group(0) + last  # WAN → WAWAN
    return syl[-2] + syl[-1]


def variant(name: str, rng: np.random.Generator, sex: int) -> str:
    """A different way the same person's name gets written. Never returns `name` itself, nor a name that
    reads the same once compared (siks.domain.names: punctuation and titles aside)."""
    words = name.split()
    for _ in range(8):
        x = rng.random()
        out = None
        if x < 0.22:  # nickname of the longest word
            longest = max(range(len(words)), key=lambda i: len(words[i]))
            nick = nickname(words[longest].rstrip("."), rng.random())
            out = nick
        elif x < 0.38 and len(words) > 1:  # a part dropped
            out = " ".join(words[1:]) if rng.random() < 0.6 else " ".join(words[:-1])
        elif x < 0.50:  # a part added
            if rng.random() < 0.6:
                pool = _ADD_MALE if sex == 1 else _ADD_FEMALE
                out = f"{pool[rng.integers(len(pool))]} {name}"
            else:
                pool = _SUFFIX_MALE if sex == 1 else _SUFFIX_FEMALE
                out = f"{name} {pool[rng.integers(len(pool))]}"
        elif x < 0.62:  # an abbreviation written out or shortened
            hits = [i for i, w in enumerate(words) if w in _ABBREV]
            if hits:
                i = hits[rng.integers(len(hits))]
                alt = _ABBREV[words[i]]
                out = " ".join([*words[:i], alt[rng.integers(len(alt))], *words[i + 1 :]])
        elif x < 0.88:  # spelling
            rules = [r for r in _SPELLING if re.search(r[0], name)]
            if rules:
                pattern, repl = rules[rng.integers(len(rules))]
                out = re.sub(pattern, repl, name, count=1)
        else:  # a typo: one letter dropped, doubled or replaced
            letters = [i for i, ch in enumerate(name) if ch.isalpha()][1:]
            if letters:
                i = letters[rng.integers(len(letters))]
                kind = rng.integers(3)
                if kind == 0:
                    out = name[:i] + name[i + 1 :]
                elif kind == 1:
                    out = name[:i] + name[i] + name[i:]
                else:
                    out = name[:i] + "AEIOUNRSTMK"[rng.integers(11)] + name[i + 1 :]
        if out and out.strip() and name_rules.normalize(out) != name_rules.normalize(name):
            return " ".join(out.split())
    return name + " " + ("BIN" if sex == 1 else "BINTI") + " " + "ABDULLAH"


def titled(rng: np.random.Generator, age: np.ndarray, sex: np.ndarray, taken: dict, params) -> tuple:
    """DTKS rows (aged 23+, name not already varied) whose name gets a title: `Patterns.gelar` of the
    anggota aged 23+. Returns (rows, title per row), the title fitting the sex."""
    adult = age >= 23
    eligible = adult.copy()
    eligible[np.fromiter(taken, dtype=np.int64, count=len(taken))] = False
    idx = arrays.pick(rng, eligible, arrays.count_for(params.patterns.gelar, int(adult.sum())))
    out = []
    for s in sex[idx].tolist():
        fits = [t for t, _, need in TITLES if need in (0, int(s))]
        out.append(fits[rng.integers(len(fits))])
    return idx, out


def with_title(name: str, title: str) -> str:
    """The name as written with the title: before it (DRS. SUPARMAN) or after it (SITI AMINAH S.PD)."""
    before = next(b for t, b, _ in TITLES if t == title)
    return f"{title} {name}" if before else f"{name} {title}"
