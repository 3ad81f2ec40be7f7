"""The finding catalog: every code the pipeline can emit has an entry, the catalog loads without the steps,
and no page or CLI output of a real run shows a bare code to a person.

The demo walk builds a small registry with the ordinary commands (synth → import → reference load → verval
run → penetapan), then reads what people read: `siks verval report/explain/export`, the household and
member pages, the dashboard (page, chart legend, CSV), the audit trail, the ganda queue and comparison,
the penetapan pages and the public `cek` page.
"""

from __future__ import annotations

import csv
import re
import subprocess
import sys
import warnings
from datetime import date
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from siks.domain import finding_catalog, kk, nik
from siks.domain.eligibility import default_rules
from siks.verval.engines import open_engine
from siks.verval.pipeline import PipelineError, Step, StepContext, default_steps, run_steps

PASSWORD = "kata-sandi-uji-panjang"
# A code that is also an ordinary word of the explanations people read: "ASN" is a finding code and the
# `jenis` value in "tercatat sebagai ASN di …" and "ASN/TNI/Polri". It is checked through the export only.
ORDINARY_WORDS = {"ASN"}


# --- the catalog itself -------------------------------------------------------------------------------------


def test_every_code_a_step_can_emit_has_a_catalog_entry_of_that_step():
    steps = default_steps()
    emitted = {c: s.name for s in steps for c in s.codes}
    missing = sorted(c for c in emitted if finding_catalog.get(c) is None)
    assert not missing, missing
    assert {c: finding_catalog.entry(c).step for c in emitted} == emitted
    # The structure step emits exactly the domain's NIK and KK rules: a new rule needs a catalog entry.
    structure = next(s for s in steps if s.name == "structure")
    assert set(structure.codes) == set(nik.RULES) | set(kk.RULES)
    eligibility = next(s for s in steps if s.name == "eligibility")
    assert set(eligibility.codes) == {r.code for r in default_rules().rules}
    # and nothing in the catalog is left over from a code no step emits any more
    assert set(finding_catalog.STATIC_CODES) | set(eligibility.codes) == set(emitted)


def test_entries_are_complete_and_titles_tell_codes_apart():
    entries = finding_catalog.all_codes().values()
    for e in entries:
        assert e.title and e.description and e.action and e.citizen, e.code
        assert e.severity in finding_catalog.SEVERITIES and e.level in finding_catalog.LEVELS
        assert not raw_codes(" ".join((e.title, e.description, e.action, e.citizen))), e.code
    titles = [e.title for e in entries]
    assert len(titles) == len(set(titles)), sorted(t for t in titles if titles.count(t) > 1)


def test_catalog_loads_without_the_steps_or_an_engine():
    code = (
        "import sys; from siks.domain import finding_catalog as c; "
        "assert c.title('KK_CHANGED') == 'No. KK berubah di Dukcapil'; "
        "assert c.title('TANPA_NIK') == 'Tidak ada NIK yang sah'; "
        "bad = [m for m in sys.modules if m.startswith(('siks.verval', 'duckdb', 'splink', 'sqlalchemy'))]; "
        "assert not bad, bad"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_an_unknown_code_never_falls_back_to_the_code():
    e = finding_catalog.entry("KODE_YANG_TIDAK_ADA")
    assert "KODE_YANG_TIDAK_ADA" not in e.title + e.citizen + e.action


def _step(code: str, declared: tuple[str, ...]) -> Step:
    def run(ctx: StepContext) -> None:
        ctx.emit_findings(f"SELECT '{code}' AS code, 'R1-K1-1' AS member_ref")

    return Step("uji", "Uji", "1", run, outputs=("findings_uji",), codes=declared)


def _run_one(step: Step) -> None:
    engine = open_engine(threads=1)
    try:
        run_steps([step], lambda s: StepContext(engine, "r", {}, work_dir=None, step=s))  # type: ignore[arg-type]
    finally:
        engine.close()


def test_a_step_emitting_an_undeclared_or_uncatalogued_code_stops_the_run():
    _run_one(_step("KK_CHANGED", ("KK_CHANGED",)))  # declared and catalogued: fine
    with pytest.raises(PipelineError, match="tidak dideklarasikan.*KK_BARU"):
        _run_one(_step("KK_BARU", ("KK_CHANGED",)))
    with pytest.raises(PipelineError, match="tanpa entri katalog.*KK_BARU"):
        _run_one(_step("KK_BARU", ("KK_BARU",)))


# --- the demo walk ---------------------------------------------------------------------------------------


class _Text(HTMLParser):
    """The text a person sees: no tags, attributes, scripts or styles."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("script", "style")

    def handle_endtag(self, tag):
        self._skip -= tag in ("script", "style") and self._skip > 0

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    p = _Text()
    p.feed(html)
    return " ".join(p.parts)


def raw_codes(text: str) -> set[str]:
    codes = [c for c in finding_catalog.all_codes() if c not in ORDINARY_WORDS]
    pattern = re.compile(r"(?<![\w/])(" + "|".join(sorted(codes, key=len, reverse=True)) + r")(?![\w/])")
    return set(pattern.findall(text))


def test_raw_codes_are_found_by_the_check():
    assert raw_codes(visible_text("<td>Ganda</td><td><span>DUP_POSSIBLE</span></td>")) == {"DUP_POSSIBLE"}
    assert raw_codes(visible_text('<tr data-code="DUP"><td>Keluarga ASN/TNI/Polri</td></tr>')) == set()


def _cli(env: dict, *args: str) -> str:
    from siks.cli import app

    result = CliRunner(env={**env, "COLUMNS": "250"}).invoke(app, list(args))
    assert result.exit_code == 0, (args, result.output, result.exception)
    return result.output


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """A registry of 1 500 synthetic people after one verval run and one penetapan (SQLite)."""
    from siks.synth.generate import generate
    from siks.synth.params import SynthParams

    root = tmp_path_factory.mktemp("demo")
    data = root / "synth"
    generate(SynthParams(persons=1_500, seed=7, reference_date=date(2026, 10, 1)), data)
    url = f"sqlite:///{root / 'siks.db'}"
    env = {"SIKS_DATABASE_URL": url, "SIKS_DATA_DIR": str(root / "data")}
    _cli(env, "db", "upgrade")
    _cli(env, "import", str(data / "dtks.csv"))
    for kind in ("dukcapil", "asn", "pln", "kendaraan"):
        files = sorted((data / "reference").glob(f"{kind}.*"))
        path = next(p for p in files if p.suffix in (".csv", ".parquet"))
        _cli(env, "reference", "load", kind, str(path))
    outputs = {"run": _cli(env, "verval", "run", "--oleh", "uji")}

    from siks.accounts import service as accounts
    from siks.store.db import make_engine
    from siks.store.models.registry import Household, Member
    from siks.store.models.verval import VervalFinding

    engine = make_engine(url)
    with Session(engine) as s, s.begin():
        accounts.create_user(s, "supkab", PASSWORD, "supervisor_kabupaten", "35.09", full_name="Supervisor")
    _cli(env, "penetapan", "create", "--judul", "DTKS Uji 2026", "--periode", "2026-10", "--oleh", "supkab")
    with Session(engine) as s:
        codes = [r[0] for r in s.execute(select(VervalFinding.code).distinct())]
        # one household per code (the one with the most findings), so every emitted code is on a page
        houses: dict[str, int] = {}
        for code in codes:
            ref = s.execute(
                select(VervalFinding.household_ref, func.count())
                .where(VervalFinding.code == code, VervalFinding.household_ref.is_not(None))
                .group_by(VervalFinding.household_ref)
                .order_by(func.count().desc(), VervalFinding.household_ref)
                .limit(1)
            ).first()
            if ref:
                hid = s.scalar(select(Household.id).where(Household.ref == ref[0]))
                if hid:
                    houses[code] = hid
        niks = [
            s.scalar(select(VervalFinding.nik).where(VervalFinding.code == c, VervalFinding.nik.is_not(None)))
            for c in codes
        ]
        member = s.scalar(
            select(Member.id).join(VervalFinding, VervalFinding.member_ref == Member.ref).limit(1)
        )
        possible = s.scalar(select(VervalFinding.id).where(VervalFinding.code == "DUP_POSSIBLE").limit(1))
    outputs["report"] = _cli(env, "verval", "report")
    outputs["report desa"] = _cli(env, "verval", "report", "--per", "desa")
    for n in sorted({n for n in niks if n})[:12]:
        outputs[f"explain {n}"] = _cli(env, "verval", "explain", n)
    export = root / "temuan.csv"
    _cli(env, "verval", "export", "--keluar", str(export), "--format", "csv")
    yield {
        "url": url, "engine": engine, "codes": set(codes), "houses": houses, "member": member,
        "possible": possible, "cli": outputs, "export": export,
    }  # fmt: skip
    engine.dispose()


def test_the_demo_run_emits_only_declared_catalogued_codes(demo):
    declared = {c for s in default_steps() for c in s.codes}
    assert demo["codes"] and demo["codes"] <= declared
    # a run of this size has findings of most steps: the walk below covers them
    steps = {finding_catalog.entry(c).step for c in demo["codes"]}
    assert {"structure", "padan", "ganda", "exclusions", "eligibility"} <= steps, steps


def test_cli_outputs_show_titles_not_codes(demo):
    for name, out in demo["cli"].items():
        assert not raw_codes(out), (name, raw_codes(out), out[:2000])
    assert "No. KK berubah di Dukcapil" in demo["cli"]["report"] or "Ganda" in demo["cli"]["report"]
    assert any("tindakan:" in out for name, out in demo["cli"].items() if name.startswith("explain"))
    # both desil of the ruta, as a person reads them (issue #19.2c: official authoritative, PMT fallback)
    assert any(
        "Desil ruta" in out and "desil resmi" in out and "desil PMT" in out
        for name, out in demo["cli"].items()
        if name.startswith("explain")
    )


def test_the_export_names_every_code_with_its_catalog_title(demo):
    with open(demo["export"], newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert rows
    for r in rows:
        e = finding_catalog.entry(r["finding_code"])
        assert (r["judul_temuan"], r["tingkat"], r["tindakan"]) == (e.title, e.severity_label, e.action)
        shown = " ".join(v for k, v in r.items() if k not in ("finding_code", "evidence"))
        assert not raw_codes(shown), (r["finding_code"], shown)


def _client(demo):
    from siks.web.app import create_app

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    client = TestClient(create_app(demo["engine"], secret_key="uji-" + "x" * 40), client=("10.0.0.9", 5000))
    token = client.get("/api/v1/session").json()["csrf_token"]
    r = client.post(
        "/api/v1/session", json={"username": "supkab", "password": PASSWORD}, headers={"X-CSRF-Token": token}
    )
    assert r.status_code == 200, r.text
    client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return client


def test_pages_people_read_show_no_raw_code(demo):
    client = _client(demo)
    pages = ["/", "/dasbor", "/audit", "/ganda", "/penetapan", "/penetapan/1", "/program", "/simulasi"]
    pages += [f"/ruta/{h}" for h in sorted(set(demo["houses"].values()))]
    pages += [f"/anggota/{demo['member']}"]
    if demo["possible"]:
        pages.append(f"/ganda/{demo['possible']}")
    seen_titles = set()
    with client:
        for path in pages:
            r = client.get(path)
            assert r.status_code == 200, (path, r.status_code)
            text = visible_text(r.text)
            assert not raw_codes(text), (path, raw_codes(text))
            seen_titles |= {c for c in demo["codes"] if finding_catalog.title(c) in text}
        for path in ("/dasbor/grafik/temuan.svg", "/dasbor/ekspor.csv", "/audit/ekspor.csv"):
            r = client.get(path)
            assert r.status_code == 200, path
            assert not raw_codes(r.text), (path, raw_codes(r.text))
        legend = client.get("/dasbor/ekspor.csv").text
        # the household page shows the desil the latest run gave (PMT here: nothing official was imported)
        houses = [client.get(f"/ruta/{h}").text for h in sorted(set(demo["houses"].values()))]
        assert all("Desil yang dipakai" in h for h in houses)
        assert any(re.search(r'data-desil-pmt="\d+"', h) for h in houses)
        assert any(finding_catalog.title(c) in legend for c in demo["codes"])
    # every code the run emitted was shown to a person by its title somewhere on the household pages
    assert seen_titles >= {c for c in demo["codes"] if c in demo["houses"]}


def test_the_public_page_tells_the_citizen_in_catalog_words(demo):
    from siks.store.models.penetapan import PenetapanHousehold, PenetapanMember

    with Session(demo["engine"]) as s:
        rows = s.execute(
            select(PenetapanMember, PenetapanHousehold.desa_code)
            .join(
                PenetapanHousehold,
                (PenetapanHousehold.penetapan_id == PenetapanMember.penetapan_id)
                & (PenetapanHousehold.household_ref == PenetapanMember.household_ref),
            )
            .where(PenetapanMember.included.is_(False))
            .order_by(PenetapanMember.id)
        ).all()
        m, desa = next((m, d) for m, d in rows if m.findings)
        nama, codes = m.nama.split()[0], list(m.findings)
    client = _client(demo)
    with client:
        r = client.post("/cek", data={"desa": desa, "nama": nama})
    assert r.status_code == 200, r.text
    text = visible_text(r.text)
    assert not raw_codes(text), raw_codes(text)
    assert finding_catalog.citizen_notes(codes)[0] in text


def test_register_rules_refuses_a_code_another_step_owns():
    with pytest.raises(ValueError, match="langkah 'kk'"):
        finding_catalog.register_rules([("KK_CHANGED", "Aturan", "x")])
    finding_catalog.register_rules([("ATURAN_UJI_KATALOG", "Aturan uji katalog", "Penjelasan {nik}.")])
    assert finding_catalog.title("ATURAN_UJI_KATALOG") == "Aturan uji katalog"
