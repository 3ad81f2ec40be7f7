"""Bad rule and model files are refused with one Indonesian line per fault: the file, the path in it, the
rule that was broken. Every file format siks reads (PMT model, eligibility rules, penetapan criteria,
programs) is covered, through the loader a command uses, and the shipped files pass the same models."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from siks.cli import app
from siks.domain import eligibility, penetapan, pmt, programs
from siks.domain.eligibility import RuleError

RULE = {
    "code": "DESIL_TINGGI",
    "when": {"field": "desil", "op": ">", "value": 4},
    "explanation": "desil {desil}",
}


def write(tmp_path: Path, name: str, data: object) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def lines(exc: pytest.ExceptionInfo) -> list[str]:
    return str(exc.value).splitlines()


def test_a_bad_eligibility_file_names_file_path_and_rule(tmp_path):
    bad_when = {"or": [{"field": "desil", "op": ">", "value": "4"}, {"field": "umur", "op": "~", "value": 1}]}
    doc = {
        "format": eligibility.FORMAT,
        "name": "uji",
        "version": "1",
        "rules": [RULE, {**RULE, "code": "UMUR", "when": bad_when}, {**RULE, "code": "x"}],
        "komentar": "tidak dikenal",
    }
    path = write(tmp_path, "aturan.json", doc)
    with pytest.raises(RuleError) as exc:
        eligibility.load(path)
    assert lines(exc) == [
        f"{path}: rules[1] (UMUR).when.or[0]: value: nilai '4' bukan bertipe int.",
        f"{path}: rules[1] (UMUR).when.or[1].op: nilai '~' tidak dikenal (pilihan: '=', '!=', '<', '<=', "
        "'>', '>=', 'in', 'not_in', 'is_null' atau 'not_null')",
        f"{path}: rules[2] (x).code: Kode aturan 'x' tidak sah "
        "(huruf besar, angka, garis bawah; 2–60 karakter).",
        f"{path}: komentar: kunci tidak dikenal",
    ]


def test_duplicate_codes_and_deep_conditions_are_named(tmp_path):
    deep: dict = {"field": "desil", "op": ">", "value": 4}
    for _ in range(eligibility.MAX_DEPTH + 1):
        deep = {"not": deep}
    doc = {"format": eligibility.FORMAT, "name": "uji", "version": "1", "rules": [RULE, RULE]}
    with pytest.raises(RuleError, match=r"aturan\.json: Kode aturan harus unik .*: DESIL_TINGGI\."):
        eligibility.load(write(tmp_path, "aturan.json", doc))
    doc["rules"] = [{**RULE, "when": deep}]
    with pytest.raises(RuleError, match=r"rules\[0\] \(DESIL_TINGGI\): kondisi terlalu dalam"):
        eligibility.load(write(tmp_path, "aturan.json", doc))


def test_a_bad_pmt_model_file_names_file_path_and_rule(tmp_path):
    data = pmt.to_dict(pmt.default_model())
    data["variables"][0] = {**data["variables"][0], "coeficient": 0.1}
    data["variables"].append({"name": "gaji_bulanan", "kind": "number", "coefficient": 1.0})
    data["desil"]["cutoffs"] = [3.0, 1.0]
    data["intercept"] = "tiga belas"
    path = write(tmp_path, "model.json", data)
    with pytest.raises(pmt.ModelError) as exc:
        pmt.load(path)
    first = data["variables"][0]["name"]
    last = len(data["variables"]) - 1
    assert lines(exc) == [
        f"{path}: intercept: harus angka, bukan 'tiga belas'",
        f"{path}: desil.cutoffs: Batas desil model harus 9 angka yang tidak menurun.",
        f"{path}: variables[0].coeficient: kunci tidak dikenal",
        f"{path}: variables[{last}]: Variabel 'gaji_bulanan' tidak dikenal oleh siks.",
    ], first


def test_a_bad_penetapan_criteria_file_names_file_path_and_rule(tmp_path):
    doc = {
        "format": penetapan.FORMAT,
        "desil_max": 11,
        "exclusions": [{**RULE, "code": "NONAKTIF", "when": {"has_finding": "asn"}}],
    }
    path = write(tmp_path, "kriteria.json", doc)
    with pytest.raises(RuleError) as exc:
        penetapan.load_criteria(path)
    assert lines(exc) == [
        f"{path}: desil_max: harus ≤ 10",
        f"{path}: exclusions[0] (NONAKTIF).when.has_finding: kode temuan 'asn' tidak sah "
        "(huruf besar, angka, garis bawah).",
    ]


def test_a_bad_program_file_names_file_path_and_rule(tmp_path):
    doc = {
        "format": programs.FORMAT,
        "code": "uji",
        "params": {"batas": 4},
        "unit": "rumah",
        "eligible": {"field": "desil", "op": "<=", "value": {"param": "batas"}},
        "components": [
            {"code": "lansia", "amount": -5, "when": {"field": "umur", "op": ">=", "value": 70}},
            {"code": "asn", "when": {"has_finding": "ASN"}},
        ],
        "quota": {"35.09": "seratus"},
    }
    path = write(tmp_path, "program.json", doc)
    with pytest.raises(RuleError) as exc:
        programs.load_program(path)
    assert lines(exc) == [
        f"{path}: unit: nilai 'rumah' tidak dikenal (pilihan: 'keluarga', 'anggota' atau 'ppks_orang')",
        f"{path}: components[0] (lansia).amount: harus ≥ 0",
        f"{path}: components[1] (asn): has_finding tidak boleh di dalam any_member atau kondisi per anggota.",
        f"{path}: quota.35.09: harus bilangan bulat, bukan 'seratus'",
    ]
    with pytest.raises(RuleError, match=r"program\.json: parameter tidak dikenal \['umur'\]"):
        programs.load_program(path, {"umur": 60})


def test_unreadable_files_name_the_file(tmp_path):
    broken = tmp_path / "rusak.json"
    broken.write_text("{ bukan json", encoding="utf-8")
    for load, error in (
        (eligibility.load, RuleError),
        (penetapan.load_criteria, RuleError),
        (programs.load_program, RuleError),
        (pmt.load, pmt.ModelError),
    ):
        with pytest.raises(error, match=f"{broken} tidak dapat dibaca"):
            load(broken)


def test_the_shipped_files_pass_their_models():
    assert eligibility.default_rules().rules
    assert penetapan.default_criteria().exclusions
    assert pmt.default_model().variables
    assert {programs.default_program(code).code for code in programs.program_codes()} == {
        "pkh",
        "bpnt",
        "pbi_jk",
        "atensi_lks",
    }


def test_the_command_line_shows_the_same_lines(tmp_path):
    doc = {
        "format": eligibility.FORMAT,
        "name": "uji",
        "version": "1",
        "rules": [{**RULE, "explanation": " "}],
    }
    path = write(tmp_path, "aturan.json", doc)
    result = CliRunner(env={"COLUMNS": "300"}).invoke(app, ["eligibility", "show", str(path)])
    assert result.exit_code == 1
    shown = result.output.replace("\n", "")  # rich wraps long lines at the console width
    assert f"{path}: rules[0] (DESIL_TINGGI).explanation: 'explanation' (penjelasan) wajib diisi." in shown
