"""The name + birth date blocking rule: national only where that cannot grow with the square of the
registry. Within one kabupaten its pairs are exactly the plain rule's; across kabupaten a default birth
date or a block larger than NATIONAL_BLOCK_MAX opens no pair (docs/scale.md §4)."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pytest
from splink import block_on
from splink.blocking_analysis import count_comparisons_from_blocking_rules

from siks.verval import linkage
from siks.verval.engines import open_engine

from .conftest import ENGINES


def _people(rows: list[tuple[str, str, date]]) -> pa.Table:
    """(kabupaten, name, birth date) → the cleaned columns identity_sql reads."""
    n = len(rows)
    return pa.table(
        {
            "member_ref": [f"m{i}" for i in range(n)],
            "nik": pa.array([None] * n, pa.string()),
            "nama_norm": [name for _, name, _ in rows],
            "tanggal_lahir": pa.array([d for _, _, d in rows], pa.date32()),
            "jenis_kelamin": ["P"] * n,
            "kode_desa": [f"{kab}012001" for kab, _, _ in rows],
            "kode_kecamatan": [f"{kab}01" for kab, _, _ in rows],
            "no_kk": pa.array([None] * n, pa.string()),
        }
    )


@pytest.fixture(params=ENGINES)
def engine(request, tmp_path):
    e = open_engine(request.param, temp_dir=tmp_path)
    yield e
    e.close()


def pairs(engine, rows, rules) -> int:
    engine.register_arrow("p_raw", _people(rows))
    engine.create_table("p_ident", linkage.identity_sql("p_raw AS p", "p.member_ref", alias="p"))
    recs = count_comparisons_from_blocking_rules(
        engine.splink_api().register("p_ident"),
        blocking_rules=rules,
        link_type="dedupe_only",
        record_sample_proportion=1.0,
    )
    return int(recs[-1]["cumulative_comparison_count"])


def test_a_real_date_in_a_small_block_pairs_across_kabupaten(engine):
    rows = [("3501", "SRI WAHYUNI", date(1980, 3, 14)), ("3502", "SRI WAHYUNI", date(1980, 3, 14))]
    assert pairs(engine, rows, linkage.name_date_rules("l")) == 1


def test_a_default_date_pairs_only_within_the_kabupaten(engine):
    rows = [
        ("3501", "SRI WAHYUNI", date(1980, 1, 1)),
        ("3501", "SRI WAHYUNI", date(1980, 1, 1)),
        ("3502", "SRI WAHYUNI", date(1980, 1, 1)),
    ]
    assert pairs(engine, rows, linkage.name_date_rules("l")) == 1


def test_a_block_above_the_cap_pairs_only_within_each_kabupaten(engine):
    half = linkage.NATIONAL_BLOCK_MAX // 2 + 1  # two halves: together above the cap
    rows = [(kab, "SITI AMINAH", date(1975, 5, 5)) for kab in ("3501", "3502") for _ in range(half)]
    assert pairs(engine, rows, linkage.name_date_rules("l")) == 2 * half * (half - 1) // 2
    # the same records, one fewer on each side, are at the cap: compared across kabupaten too
    rows = [(kab, "SITI AMINAH", date(1975, 5, 5)) for kab in ("3501", "3502") for _ in range(half - 1)]
    n = 2 * (half - 1)
    assert n <= linkage.NATIONAL_BLOCK_MAX
    assert pairs(engine, rows, linkage.name_date_rules("l")) == n * (n - 1) // 2


def test_within_one_kabupaten_the_pairs_are_the_plain_rules(engine):
    names = ["SRI WAHYUNI", "SITI AMINAH", "MUHAMMAD RIZKI"]
    days = [date(1980, 1, 1), date(1980, 3, 14), date(1990, 7, 1)]
    rows = [
        ("3501", names[i % 3], days[i % 3 if i % 2 else 0]) for i in range(3 * linkage.NATIONAL_BLOCK_MAX)
    ]
    assert pairs(engine, rows, linkage.name_date_rules("l")) == pairs(
        engine, rows, [block_on("nama_kunci", "tanggal_lahir")]
    )


def _one(ref: str, nik: str, desa: str, name: str, born: date, sex: str) -> pa.Table:
    return pa.table(
        {
            "member_ref": [ref],
            "nik": [nik],
            "nama_norm": [name],
            "tanggal_lahir": pa.array([born], pa.date32()),
            "jenis_kelamin": [sex],
            "kode_desa": [desa],
            "kode_kecamatan": [desa[:6]],
            "no_kk": pa.array([None], pa.string()),
        }
    )


def link_pairs(engine, dtks: pa.Table, dukcapil: pa.Table) -> int:
    api, sides = engine.splink_api(), []
    for name, t in (("l", dtks), ("r", dukcapil)):
        engine.register_arrow(f"{name}_raw", t)
        # kk_nik: the KK of a borrowed NIK's owner, which padan sets (none here)
        extra = ", CAST(NULL AS VARCHAR) AS kk_nik"
        engine.create_table(
            f"{name}_ident", linkage.identity_sql(f"{name}_raw AS p", "p.member_ref", extra, alias="p")
        )
        sides.append(api.register(f"{name}_ident"))
    recs = count_comparisons_from_blocking_rules(
        sides,
        blocking_rules=linkage.link_blocking_rules(),
        link_type="link_only",
        record_sample_proportion=1.0,
    )
    return int(recs[-1]["cumulative_comparison_count"])


TRUE_NIK = "3510101106090001"


@pytest.mark.parametrize("pos", range(16))
def test_a_nik_typo_in_any_digit_reaches_the_true_nik_from_another_kecamatan(engine, pos):
    """A record registered again in another kecamatan, its NIK mistyped in one digit, name and birth date
    written otherwise: only the NIK can find its owner, whichever digit the typo hit (the region and the
    birth month/year were missed before: seed 53's lost duplicates, docs/verval.md §8)."""
    typo = TRUE_NIK[:pos] + ("9" if TRUE_NIK[pos] != "9" else "8") + TRUE_NIK[pos + 1 :]
    dtks = _one("d", typo, "3510252006", "ALFIAN", date(2009, 6, 12), "L")
    owner = _one("o", TRUE_NIK, "3510102007", "MOCH ALFIAN", date(2009, 6, 11), "L")
    assert link_pairs(engine, dtks, owner) == 1


def test_a_region_typo_is_not_searched_across_kabupaten(engine):
    """The rest of a NIK after its region is national (a birth date and a serial): looked up within the
    kabupaten the record lives in only, or its pairs would grow with the square of the registry."""
    typo = "9" + TRUE_NIK[1:]
    dtks = _one("d", typo, "3511252006", "ALFIAN", date(2009, 6, 12), "L")
    owner = _one("o", TRUE_NIK, "3510102007", "MOCH ALFIAN", date(2009, 6, 11), "L")
    assert link_pairs(engine, dtks, owner) == 0


SWAP_NIK = "3510121706090123"  # no two adjacent digits equal where a swap is searched


@pytest.mark.parametrize("pos", [1, 2, 3, 4, 5, 7, 13, 14, 15])
def test_two_swapped_digits_reach_the_true_nik_from_another_kecamatan(engine, pos):
    """Two adjacent digits swapped in the region, the birth day or the serial: the owner is still found by
    the NIK alone. The region and the birth day are blocked one digit at a time (a rule with all of them
    free made most of padan's pairs), so each swap across those digits has its own rule."""
    i = pos - 1
    swapped = SWAP_NIK[:i] + SWAP_NIK[i + 1] + SWAP_NIK[i] + SWAP_NIK[i + 2 :]
    assert swapped != SWAP_NIK
    dtks = _one("d", swapped, "3510252006", "ALFIAN", date(2009, 6, 12), "L")
    owner = _one("o", SWAP_NIK, "3510122007", "MOCH ALFIAN", date(2009, 6, 11), "L")
    assert link_pairs(engine, dtks, owner) == 1
