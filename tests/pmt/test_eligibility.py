"""Eligibility rules: the checker, each default rule on its edges, SQL = Python, and inert injections."""

from __future__ import annotations

import random

import pyarrow as pa
import pytest
import sqlglot

from siks.domain import eligibility as el
from siks.domain.eligibility import FIELDS, RuleError, Subject, holds
from siks.verval import rules_sql
from siks.verval.engines.duckdb import DuckDBEngine

DEFAULT = el.default_rules()


def ruleset(*rules: dict) -> el.RuleSet:
    return el.ruleset_from_dict({"format": el.FORMAT, "name": "uji", "version": "1", "rules": list(rules)})


def rule(code: str, when: dict, explanation: str = "alasan") -> dict:
    return {"code": code, "when": when, "explanation": explanation}


PERSON = {
    "nik": "3509154107850003",
    "umur": 40,
    "keberadaan": 1,
    "status_pekerjaan": 6,
    "desil": 3,
    "kode_desa": "3509152001",
    "jumlah_art": 4,
}


def verdict(record: dict, findings: dict | None = None, family: list[dict] | None = None) -> set[str]:
    subject = Subject(
        record, {k: frozenset(v) for k, v in (findings or {}).items()}, family or [record], family or [record]
    )
    return {code for code, _ in el.evaluate(DEFAULT, subject).fired}


# -- each default rule on its edges ------------------------------------------------------------------------


def test_a_poor_living_padan_person_is_eligible():
    assert verdict(PERSON) == set()


def test_desil_edges():
    assert verdict({**PERSON, "desil": 5}) == set()
    assert verdict({**PERSON, "desil": 6}) == {"DESIL_TERLALU_TINGGI"}
    assert verdict({**PERSON, "desil": 10}) == {"DESIL_TERLALU_TINGGI"}
    assert verdict({**PERSON, "desil": None}) == {"DESIL_KOSONG"}  # unknown is not "too high"


def test_keberadaan_edges():
    assert verdict({**PERSON, "keberadaan": 5}) == set()  # anggota baru
    assert verdict({**PERSON, "keberadaan": 2}) == {"MENINGGAL"}
    assert verdict({**PERSON, "keberadaan": 3}) == {"TIDAK_TINGGAL_BERSAMA"}
    assert verdict({**PERSON, "keberadaan": 4}) == {"TIDAK_TINGGAL_BERSAMA"}
    assert verdict({**PERSON, "keberadaan": 6}) == {"TIDAK_DITEMUKAN"}
    assert verdict({**PERSON, "keberadaan": None}) == set()


def test_deceased_by_dukcapil():
    assert verdict(PERSON, {"anggota": {"DECEASED"}}) == {"MENINGGAL"}
    assert verdict(PERSON, {"keluarga": {"DECEASED"}}) == set()  # someone else in the family died


def test_nik_and_padan():
    assert verdict({**PERSON, "nik": None}) == {"TANPA_NIK"}
    assert verdict(PERSON, {"anggota": {"PADAN_NIK_UNKNOWN"}}) == {"TIDAK_PADAN"}
    assert verdict(PERSON, {"anggota": {"PADAN_OTHER_PERSON"}}) == {"TIDAK_PADAN"}
    assert verdict(PERSON, {"anggota": {"PADAN_NAME_MISMATCH"}}) == set()  # a nickname is still padan


def test_asn_excludes_the_whole_keluarga():
    assert verdict(PERSON, {"keluarga": {"ASN"}}) == {"KELUARGA_ASN_TNI_POLRI"}
    assert verdict(PERSON, {"ruta": {"ASN"}}) == set()  # another keluarga in the same ruta
    pns = {**PERSON, "status_pekerjaan": 5}
    assert verdict(pns, family=[pns]) == {"KELUARGA_ASN_TNI_POLRI"}
    assert verdict(PERSON, family=[PERSON, pns]) == {"KELUARGA_ASN_TNI_POLRI"}  # self-reported by the spouse


def test_several_reasons_are_all_named():
    assert verdict({**PERSON, "desil": 8, "keberadaan": 2, "nik": None}) == {
        "DESIL_TERLALU_TINGGI",
        "MENINGGAL",
        "TANPA_NIK",
    }


def test_explanations_fill_placeholders():
    fired = dict(el.evaluate(DEFAULT, Subject({**PERSON, "desil": 7}, {}, [], [])).fired)
    assert "desil 7" in fired["DESIL_TERLALU_TINGGI"]
    assert el.render("{desil} {nik}", {"desil": None}) == "- -"


# -- the checker -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("when", "message"),
    [
        ({"field": "gaji", "op": ">", "value": 1}, "tidak dikenal"),
        (
            {"field": "desil", "op": "LIKE", "value": 1},
            r"when\.op: nilai 'LIKE' tidak dikenal \(pilihan: '='",
        ),
        ({"field": "desil", "op": ">", "value": "4"}, "bertipe int"),
        ({"field": "desil", "op": ">", "value": True}, "bertipe int"),
        ({"field": "nik", "op": ">", "value": "3"}, "hanya untuk field angka"),
        ({"field": "desil", "op": "in", "value": []}, "daftar"),
        ({"field": "desil", "op": "in", "value": 4}, "daftar"),
        ({"field": "desil", "op": "is_null", "value": 4}, "tidak memakai"),
        ({"field": "desil", "op": ">"}, "membutuhkan 'value'"),
        ({"field": "desil", "op": ">", "value": 4, "sql": "1=1"}, "kunci tidak dikenal"),
        ({"and": []}, r"when\.and: tidak boleh kosong"),
        ({"and": [{"field": "desil", "op": ">", "value": 4}], "or": []}, "tidak dikenal"),
        ({"has_finding": "asn; drop"}, "kode temuan"),
        ({"has_finding": "ASN", "scope": "desa"}, "scope"),
        ({"any_member": "desa", "when": {"field": "desil", "op": ">", "value": 4}}, "any_member"),
        ({"any_member": "keluarga", "when": {"has_finding": "ASN"}}, "has_finding"),
        (
            {
                "any_member": "ruta",
                "when": {"any_member": "ruta", "when": {"field": "umur", "op": ">", "value": 1}},
            },
            "bersarang",
        ),
        ({"field": "nik", "op": "=", "value": "a\x00b"}, "karakter kontrol"),
        ("desil > 4", "objek"),
    ],
)
def test_bad_conditions_are_refused(when, message):
    with pytest.raises(RuleError, match=message):
        ruleset(rule("UJI", when))


def test_bad_rules_and_sets_are_refused(tmp_path):
    with pytest.raises(RuleError, match="Kode aturan"):
        ruleset(rule("uji", {"field": "desil", "op": ">", "value": 4}))
    with pytest.raises(RuleError, match="unik"):
        ruleset(
            rule("UJI", {"field": "desil", "op": ">", "value": 4}),
            rule("UJI", {"field": "umur", "op": ">", "value": 4}),
        )
    with pytest.raises(RuleError, match="penjelasan"):
        ruleset(rule("UJI", {"field": "desil", "op": ">", "value": 4}, "desil {gaji}"))
    with pytest.raises(RuleError, match="explanation"):
        ruleset(rule("UJI", {"field": "desil", "op": ">", "value": 4}, " "))
    with pytest.raises(RuleError, match="objek"):
        el.ruleset_from_dict({"format": el.FORMAT, "name": "x", "version": "1", "rules": ["DESIL > 4"]})
    with pytest.raises(RuleError, match="format: nilai 'sql' tidak dikenal"):
        el.ruleset_from_dict({"format": "sql", "name": "x", "version": "1", "rules": []})
    path = tmp_path / "r.json"
    path.write_text("[")
    with pytest.raises(RuleError, match="tidak dapat dibaca"):
        el.load(path)


def test_the_compiler_rejects_what_the_checker_would_even_if_built_by_hand():
    forged = el.RuleSet(
        "x", "1", (el.Rule("UJI", {"field": "desil); DROP TABLE x; --", "op": ">", "value": 1}, "a"),)
    )
    with pytest.raises(RuleError):
        rules_sql.compile_rules(forged, "s", None, "e")
    forged = el.RuleSet("x", "1", (el.Rule("UJI", {"field": "desil", "op": "> 1 OR 1 =", "value": 1}, "a"),))
    with pytest.raises(RuleError):
        rules_sql.compile_rules(forged, "s", None, "e")
    with pytest.raises(RuleError, match="tabel"):
        rules_sql.compile_rules(DEFAULT, "s; DROP", None, "e")


def test_describe_reads_like_the_rule():
    text = el.describe(DEFAULT.rules[2].when)
    assert 'ada temuan "ASN/TNI/Polri" pada keluarga' in text and "status_pekerjaan = 5" in text


# -- SQL and Python agree -----------------------------------------------------------------------------------

SAMPLE_RULES = ruleset(
    rule("DESIL_TINGGI", {"field": "desil", "op": ">", "value": 4}),
    rule("BUKAN_DESIL_RENDAH", {"not": {"field": "desil", "op": "<=", "value": 4}}),
    rule(
        "LANSIA_ATAU_DISABILITAS",
        {
            "or": [
                {"field": "umur", "op": ">=", "value": 60},
                {"field": "disabilitas", "op": "=", "value": True},
            ]
        },
    ),
    rule("TIDAK_DI_DESA", {"field": "kode_desa", "op": "not_in", "value": ["3509152001", "3509152002"]}),
    rule("BEDA_STATUS", {"field": "status_pekerjaan", "op": "!=", "value": 5}),
    rule(
        "SKOR_RENDAH",
        {
            "and": [
                {"field": "skor_pmt", "op": "<", "value": 13.2},
                {"not": {"field": "nik", "op": "is_null"}},
            ]
        },
    ),
    rule("KELUARGA_LANSIA", {"any_member": "keluarga", "when": {"field": "umur", "op": ">=", "value": 70}}),
    rule("RUTA_BESAR", {"any_member": "ruta", "when": {"field": "hubungan_kk", "op": "in", "value": [7, 8]}}),
    rule(
        "TEMUAN",
        {
            "or": [
                {"has_finding": "ASN", "scope": "keluarga"},
                {"has_finding": "DECEASED"},
                {"has_finding": "HOUSEHOLD_ASN", "scope": "ruta"},
            ]
        },
    ),
    rule("TIDAK_ADA_TEMUAN", {"not": {"has_finding": "DECEASED"}}),
    rule("BELUM_PADAN", {"field": "status_padan", "op": "in", "value": ["TIDAK_PADAN", "TANPA_NIK"]}),
)
TYPES = {"int": pa.int64(), "float": pa.float64(), "text": pa.string(), "bool": pa.bool_()}


def random_people(n: int, seed: int = 5) -> list[dict]:
    rng = random.Random(seed)

    def maybe(value):
        return None if rng.random() < 0.15 else value

    people = []
    for i in range(n):
        household = i // 4
        family = i // 2
        people.append(
            {
                "member_ref": f"K{family}-{i % 2 + 1}",
                "family_ref": f"K{family}",
                "household_ref": f"R{household}",
                "nik": maybe(f"{3509150000000000 + i}"),
                "status_padan": maybe(rng.choice(["PADAN", "TIDAK_PADAN", "TANPA_NIK"])),
                "umur": maybe(rng.randint(0, 90)),
                "jenis_kelamin": maybe(rng.randint(1, 2)),
                "hubungan_kk": maybe(rng.randint(1, 8)),
                "keberadaan": maybe(rng.randint(1, 6)),
                "status_kawin": maybe(rng.randint(1, 4)),
                "hamil": maybe(rng.randint(1, 2)),
                "pendidikan": maybe(rng.randint(1, 22)),
                "bekerja": maybe(rng.randint(1, 2)),
                "status_pekerjaan": maybe(rng.randint(1, 8)),
                "lapangan_usaha": maybe(rng.randint(1, 26)),
                "penyakit_kronis": maybe(rng.randint(1, 18)),
                "disabilitas": maybe(rng.random() < 0.1),
                "kode_desa": maybe(rng.choice(["3509152001", "3509152002", "3509162001"])),
                "kode_kecamatan": "350915",
                "kode_kabupaten": "3509",
                "kode_provinsi": "35",
                "jumlah_art": maybe(rng.randint(1, 8)),
                "skor_pmt": maybe(round(rng.uniform(12.5, 14.0), 3)),
                "desil": maybe(rng.randint(1, 10)),
                "kriteria_bps": maybe(rng.randint(0, 10)),
                "miskin_bps": maybe(rng.random() < 0.2),
            }
        )
    return people


def random_findings(people: list[dict], seed: int = 6) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for p in people:
        if rng.random() < 0.1:
            out.append(
                {
                    "code": "ASN",
                    "member_ref": p["member_ref"],
                    "family_ref": p["family_ref"],
                    "household_ref": p["household_ref"],
                }
            )
        if rng.random() < 0.1:
            out.append(
                {
                    "code": "DECEASED",
                    "member_ref": p["member_ref"],
                    "family_ref": p["family_ref"],
                    "household_ref": p["household_ref"],
                }
            )
        if rng.random() < 0.05:
            out.append(
                {
                    "code": "HOUSEHOLD_ASN",
                    "member_ref": None,
                    "family_ref": None,
                    "household_ref": p["household_ref"],
                }
            )
    return out


def python_subjects(people: list[dict], found: list[dict]) -> dict[str, Subject]:
    subjects = {}
    for p in people:
        scopes = {
            "anggota": frozenset(f["code"] for f in found if f["member_ref"] == p["member_ref"]),
            "keluarga": frozenset(f["code"] for f in found if f["family_ref"] == p["family_ref"]),
            "ruta": frozenset(f["code"] for f in found if f["household_ref"] == p["household_ref"]),
        }
        family = [q for q in people if q["family_ref"] == p["family_ref"]]
        household = [q for q in people if q["household_ref"] == p["household_ref"]]
        subjects[p["member_ref"]] = Subject(p, scopes, family, household)
    return subjects


def run_sql(rules: el.RuleSet, people: list[dict], found: list[dict] | None) -> tuple[list[dict], list[dict]]:
    engine = DuckDBEngine(threads=1)
    try:
        schema = {"member_ref": pa.string(), "family_ref": pa.string(), "household_ref": pa.string()}
        schema.update({name: TYPES[ftype] for name, (ftype, _) in FIELDS.items()})
        engine.register_arrow(
            "subject", pa.table({c: pa.array([p[c] for p in people], t) for c, t in schema.items()})
        )
        if found is not None:
            cols = ("code", "member_ref", "family_ref", "household_ref")
            engine.register_arrow(
                "seen", pa.table({c: pa.array([f[c] for f in found], pa.string()) for c in cols})
            )
        compiled = rules_sql.compile_rules(
            rules, "subject", "seen" if found is not None else None, "evaluated"
        )
        for sql in (compiled.evaluate_sql, compiled.findings_sql, compiled.verdict_sql):
            sqlglot.transpile(sql, write="spark", unsupported_level=sqlglot.ErrorLevel.RAISE)
        engine.create_table("evaluated", compiled.evaluate_sql)
        findings = engine.query(compiled.findings_sql).to_pylist()
        verdicts = engine.query(compiled.verdict_sql).to_pylist()
        return findings, verdicts
    finally:
        engine.close()


@pytest.mark.parametrize("rules", [SAMPLE_RULES, DEFAULT], ids=["sample", "default"])
def test_sql_and_python_agree(rules):
    people = random_people(400)
    found = random_findings(people)
    subjects = python_subjects(people, found)
    findings, verdicts = run_sql(rules, people, found)
    assert len(verdicts) == len(people)
    for v in verdicts:
        subject = subjects[v["member_ref"]]
        for r in rules.rules:
            assert v[rules_sql.rule_column(r.code)] == holds(r.when, subject), (r.code, v["member_ref"])
        assert v["eligible"] == el.evaluate(rules, subject).eligible
    expected = {
        (ref, code, text) for ref, s in subjects.items() for code, text in el.evaluate(rules, s).fired
    }
    assert {(f["member_ref"], f["code"], f["explanation"]) for f in findings} == expected
    assert all(f["rule_set"] == rules.key for f in findings)


def test_without_earlier_findings_has_finding_is_false():
    people = random_people(40)
    findings, verdicts = run_sql(SAMPLE_RULES, people, None)
    assert not any(v["rule_temuan"] for v in verdicts)
    assert all(v["rule_tidak_ada_temuan"] for v in verdicts)


INJECTIONS = [
    "x' OR '1'='1",
    "x'); DROP TABLE subject; --",
    "\\' OR 1=1 --",
    "x\\",
    "$$ OR 1=1 $$",
    "x' || (SELECT 1) || '",
    "/* */ OR 1=1",
    'x" OR "1"="1',
    "‘ OR 1=1 —",
]


@pytest.mark.parametrize("value", INJECTIONS)
def test_injection_attempts_in_values_are_inert(value):
    people = random_people(20)
    people[0]["kode_desa"] = value  # one person really has that text: it must match exactly that person
    rules = ruleset(
        rule("SAMA", {"field": "kode_desa", "op": "=", "value": value}, "nilai {kode_desa}"),
        rule("DALAM", {"field": "kode_desa", "op": "in", "value": [value, "lain"]}),
        rule("BUKAN", {"field": "kode_desa", "op": "!=", "value": value}),
    )
    findings, verdicts = run_sql(rules, people, None)
    same = {f["member_ref"] for f in findings if f["code"] == "SAMA"}
    assert same == {people[0]["member_ref"]}
    assert {f["member_ref"] for f in findings if f["code"] == "DALAM"} == same
    assert next(f["explanation"] for f in findings if f["code"] == "SAMA") == f"nilai {value}"
    others = {p["member_ref"] for p in people[1:] if p["kode_desa"] is not None}
    assert {f["member_ref"] for f in findings if f["code"] == "BUKAN"} == others
    assert len(verdicts) == len(people)


@pytest.mark.parametrize("value", INJECTIONS)
def test_injection_attempts_in_explanations_are_inert(value):
    people = random_people(10)
    rules = ruleset(rule("SEMUA", {"not": {"field": "desil", "op": "=", "value": -1}}, value + " {desil}"))
    findings, _ = run_sql(rules, people, None)
    assert len(findings) == len(people)
    assert all(f["explanation"].startswith(value) for f in findings)


def test_rule_set_names_are_quoted_too():
    people = random_people(5)
    rules = el.RuleSet("x' OR '1'='1", "1", SAMPLE_RULES.rules)
    _, verdicts = run_sql(rules, people, None)
    assert all(v["rule_set"] == "x' OR '1'='1@1" for v in verdicts)


def test_the_dtks_ceiling_has_one_source():
    """Issue #18: the finding said desil 1–4 and the penetapan 1–5; both now read one constant."""
    from siks.domain import penetapan

    ceiling = el.DTKS_DESIL_MAX
    assert penetapan.default_criteria().desil_max == ceiling
    rule = next(r for r in DEFAULT.rules if r.code == "DESIL_TERLALU_TINGGI")
    assert rule.when == {"field": "desil", "op": ">", "value": ceiling}
    assert f"1-{ceiling}" in rule.explanation and "$" not in rule.explanation + rule.title
    assert verdict({**PERSON, "desil": ceiling}) == set()
    assert verdict({**PERSON, "desil": ceiling + 1}) == {"DESIL_TERLALU_TINGGI"}
