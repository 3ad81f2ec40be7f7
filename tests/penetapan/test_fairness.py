"""Fairness in the simulation (issue #18.5): errors per sex of the kepala ruta, disability, lansia, balita and
kecamatan, on a small registry built for it (both backends), in the CLI, the page and its chart."""

from __future__ import annotations

import dataclasses
import datetime as dt

from siks.domain.penetapan import default_criteria
from siks.penetapan import simulation
from siks.penetapan.sources import Score, ScoreTable
from siks.reports import fairness
from siks.store.models.registry import Assessment, AssessmentMember, Member

ON = dt.date(2027, 1, 15)
SCORES = ScoreTable(
    {k: Score(v, float(v)) for k, v in {"R1": 2, "R2": 7, "R3": 4, "RB": 1, "RK": 3}.items()}, {"kind": "uji"}
)
TRUTH = simulation.Truth({"R1": 2, "R2": 8, "R3": 3, "RB": 6, "RK": 3}, "uji")


def _build(session, seed) -> None:
    """R2 headed by a woman, a balita in R3, a lansia in RB, a member of RK who cannot walk."""
    session.get(Member, seed.members["R2-1"]).sex = 2
    session.add(
        Member(ref="R3-K1-4", family_id=seed.families["R3"], no_urut=4, nama="Bayu R3", sex=1, hubungan_kk=3,
               keberadaan=1, tanggal_lahir=dt.date(2024, 6, 1))
    )  # fmt: skip
    session.get(Member, seed.members["RB-2"]).tanggal_lahir = dt.date(1950, 2, 1)
    a = Assessment(household_id=seed.households["RK"], instrument="REGSOSEK2022.K", answers={})
    session.add(a)
    session.flush()
    session.add(
        AssessmentMember(assessment_id=a.id, member_id=seed.members["RK-1"], answers={"sulit_berjalan": 1})
    )
    session.flush()


def _groups(sim) -> dict[tuple[str, str], dict]:
    return {(d, r["kelompok"]): r for d, rows in sim.totals["kelompok"].items() for r in rows}


def test_the_breakdown_counts_each_kind_of_household(wf_session, wf_seed, user):
    _build(wf_session, wf_seed)
    candidate = dataclasses.replace(default_criteria(), desil_max=3)
    sim = simulation.simulate(
        wf_session, user("opkab"), candidate, scores=SCORES, truth=TRUTH, on=ON, save=False
    )
    g = _groups(sim)
    keys = ("candidate", "truth", "truly_eligible", "inclusion_error", "exclusion_error")

    def row(d, v):
        return tuple(g[(d, v)][k] for k in keys)

    # candidate desil 1–3: R1, RB, RK in; truly within desil 3: R1, R3, RK
    assert row("kepala_ruta", "perempuan") == (0, 1, 0, 0, 0)  # R2
    assert row("kepala_ruta", "laki-laki") == (3, 4, 3, 1, 1)  # RB wrongly in, R3 wrongly out
    assert row("balita", "ada") == (0, 1, 1, 0, 1)  # R3: the household with a balita is the one left out
    assert g[("balita", "ada")]["tingkat_exclusion_error"] == 1.0
    assert row("balita", "tidak ada") == (3, 4, 2, 1, 0)
    assert row("lansia", "ada") == (1, 1, 0, 1, 0)  # RB
    assert row("lansia", "tidak ada") == (2, 4, 3, 0, 1)
    assert row("disabilitas", "ada") == (1, 1, 1, 0, 0)  # RK
    assert row("disabilitas", "tidak ada") == (2, 4, 2, 1, 1)
    assert row("kecamatan", "35.09.15") == (2, 4, 2, 1, 1) and row("kecamatan", "35.09.16") == (1, 1, 1, 0, 0)
    assert g[("kecamatan", "35.09.15")]["nama"] == "Sukorambi"
    assert g[("kepala_ruta", "perempuan")]["nama"] == "Kepala perempuan"
    # every dimension splits the same households: the parts add up to the total
    for d in simulation.GROUPS:
        assert sum(r["candidate"] for r in sim.totals["kelompok"][d]) == sim.totals["candidate"] == 3
        assert sum(r["exclusion_error"] for r in sim.totals["kelompok"][d]) == sim.totals["exclusion_error"]

    chart = fairness.series(sim.totals)
    assert "terhadap kebenaran" in chart.title
    at = chart.labels.index("Ada balita")
    assert chart.values["Exclusion error (%)"][at] == 100.0
    assert chart.values["Inclusion error (%)"][chart.labels.index("Ada lansia")] == 100.0


def test_without_a_truth_the_breakdown_uses_the_expected_errors(wf_session, wf_seed, user):
    _build(wf_session, wf_seed)
    chances = {  # P(true desil ≤ k), k = 1…9, as the PMT step writes them
        "R1": (0.2, 0.9, 0.95, 0.97, 0.98, 0.99, 0.99, 1.0, 1.0),
        "R3": (0.0, 0.1, 0.3, 0.6, 0.8, 0.9, 0.95, 1.0, 1.0),
    }
    scores = ScoreTable(
        {ref: Score(s.desil, s.skor, peluang=chances.get(ref, ())) for ref, s in SCORES.scores.items()}, {}
    )
    candidate = dataclasses.replace(default_criteria(), desil_max=3)
    sim = simulation.simulate(
        wf_session, user("opkab"), candidate, scores=scores, truth=simulation.Truth(), on=ON, save=False
    )
    g = _groups(sim)
    assert g[("balita", "ada")]["harapan_exclusion"] == 0.3  # R3 is out, with P(desil ≤ 3) = 0.3
    assert g[("balita", "ada")]["harapan_tingkat_exclusion_error"] == 1.0
    assert g[("balita", "tidak ada")]["harapan_inclusion"] == 0.05  # R1 is in, with P(desil > 3) = 0.05
    chart = fairness.series(sim.totals)
    assert "harapan" in chart.title
    assert chart.values["Exclusion error (%)"][chart.labels.index("Ada balita")] == 100.0


def test_the_cli_prints_the_breakdown(tmp_path):
    from sqlalchemy.orm import Session
    from typer.testing import CliRunner

    from siks.cli import app
    from siks.store.base import Base
    from siks.store.db import make_engine
    from workflow_support import seed

    url = f"sqlite:///{tmp_path / 'siks.db'}"
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        seeded = seed(session)
        _build(session, seeded)
        session.commit()
    engine.dispose()
    skor = tmp_path / "skor.csv"
    skor.write_text("id_ruta,desil\nR1,2\nR2,7\nR3,4\nRB,1\nRK,3\n")
    truth = tmp_path / "households.csv"
    truth.write_text("id_ruta,desil\nR1,2\nR2,8\nR3,3\nRB,6\nRK,3\n")
    got = CliRunner().invoke(
        app,
        ["penetapan", "simulasi", "--oleh", "opkab", "--desil-max", "3", "--skor", str(skor),
         "--kebenaran", str(truth), "--jangan-simpan", "--db", url],
    )  # fmt: skip
    assert got.exit_code == 0, got.output
    assert "Galat per kelompok ruta (terhadap kebenaran):" in got.output
    lines = got.output.splitlines()  # tab-separated when piped; rich expands the tabs

    def tail(group: str, value: str) -> list[str]:
        line = next(x for x in lines if x.startswith(group) and f" {value} " in x)
        return line.split()[-8:]

    # sebelum, kandidat, masuk, keluar, inclusion error (rate), exclusion error (rate); no penetapan yet
    assert tail("Anak balita", "Ada balita") == ["0", "0", "0", "0", "0", "(-)", "1", "(100,0%)"]
    assert tail("Anggota lansia", "Ada lansia") == ["0", "1", "1", "0", "1", "(100,0%)", "0", "(-)"]


def test_the_page_shows_the_breakdown_and_its_chart(client_for):
    c = client_for("opkab")
    r = c.post("/simulasi", data={"judul": "Desil 1-3", "desil_max": "3", "tingkat": "3"})
    assert r.status_code == 200, r.text
    assert "Siapa yang terdampak" in r.text and 'data-group="kepala_ruta:laki-laki"' in r.text
    assert 'data-kelompok="balita"' in r.text and "Kecamatan" in r.text
    sim_id = int(r.text.split("/simulasi/")[1].split("/")[0].split('"')[0])
    svg = c.get(f"/simulasi/{sim_id}/keadilan.svg")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert "<svg" in svg.text
    assert client_for("opkab_out").get(f"/simulasi/{sim_id}/keadilan.svg").status_code == 404
