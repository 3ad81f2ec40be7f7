"""Reasons a citizen can read (#18.4), over HTTP on the public cek page.

The penetapan here is made of frozen rows whose reasons come from the real decision
(`siks.domain.penetapan.decide` with the shipped DTKS criteria) and whose members' status comes from
`member_status`: one ruta in DTKS, one out by desil, one out because a member is ASN, and one in DTKS with
a member who died. For each, the page must say why in plain Indonesian — the rule, the penetapan and its
dates, the programs not received and their rule, how to dispute — and show the data used only to the
person who types their own NIK, never another member's name, NIK or finding.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy.orm import Session

from siks.domain import penetapan as rules
from siks.store.models.penetapan import Penetapan, PenetapanHousehold, PenetapanMember
from web.support import DESA, make_client

START = dt.date.today() - dt.timedelta(days=2)
# ref → (desil, household findings, [(nama, nik, sex, born, hubungan, keberadaan, own findings)])
RUTA = {
    "HA": (2, [], [
        ("Sumarni Wijaya", "3509154107700001", 2, dt.date(1970, 7, 1), 1, 1, []),
        ("Rudi Hartono", "3509150101150002", 1, dt.date(2015, 1, 1), 3, 1, []),
    ]),
    "HB": (7, [], [("Paijo Sugiarto", "3509150202650003", 1, dt.date(1965, 2, 2), 1, 1, [])]),
    "HC": (3, ["ASN"], [
        ("Karyono Hadi", "3509150303750004", 1, dt.date(1975, 3, 3), 1, 1, ["ASN"]),
        ("Lestari Dewi", "3509154404780005", 2, dt.date(1978, 4, 4), 2, 1, []),
    ]),
    "HD": (1, ["DECEASED"], [
        ("Ngatini Darmi", "3509155505500006", 2, dt.date(1950, 5, 5), 1, 1, []),
        ("Darmo Wiryo", "3509150606450007", 1, dt.date(1945, 6, 6), 2, 2, ["DECEASED"]),
    ]),
}  # fmt: skip


@pytest.fixture(scope="module")
def penetapan(sqlite_engine):
    criteria = rules.default_criteria()
    with Session(sqlite_engine, expire_on_commit=False) as s, s.begin():
        p = Penetapan(
            title="Penetapan DTKS Jubung Uji",
            periode=START.strftime("%Y-%m"),
            berlaku_mulai=START,
            wilayah_code=DESA,
            criteria=rules.criteria_to_dict(criteria),
            criteria_key="uji",
            created_by="uji",
        )
        s.add(p)
        s.flush()
        for ref, (desil, findings, people) in RUTA.items():
            members = [
                {"status": "aktif", "keberadaan": k, "hubungan_kk": rel, "jenis_kelamin": sex}
                for _, _, sex, _, rel, k, _ in people
            ]
            facts = rules.HouseholdFacts(ref, True, DESA, desil, 1.0, None, members, frozenset(findings))
            verdict = rules.decide(criteria, facts)
            s.add(
                PenetapanHousehold(
                    penetapan_id=p.id, household_ref=ref, desa_code=DESA, included=verdict.included,
                    desil=desil, skor_pmt=1.0, jumlah_art=sum(1 for m in members if rules.member_present(m)),
                    reasons=[list(r) for r in verdict.reasons], findings=findings,
                )
            )  # fmt: skip
            for no, ((nama, nik, sex, born, rel, k, own), m) in enumerate(
                zip(people, members, strict=True), 1
            ):
                inside, why = rules.member_status(m, verdict.included)
                s.add(
                    PenetapanMember(
                        penetapan_id=p.id, household_ref=ref, family_ref=f"{ref}-K1",
                        member_ref=f"{ref}-K1-{no}",
                        kk_number=f"35091502022000{no:02d}", no_urut=no, nama=nama, nik=nik, sex=sex,
                        tanggal_lahir=born, hubungan_kk=rel, keberadaan=k, status="aktif", included=inside,
                        reason=why, findings=own,
                    )
                )  # fmt: skip
    return p


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


@pytest.fixture
def cek(app, penetapan):
    made = []

    def search(nama: str, ip: str = "10.7.0.1"):
        c = make_client(app, ip)
        made.append(c)
        page = c.get(f"/cek?prov=35&kab=35.09&kec=35.09.15&desa={DESA}")
        got = c.post("/cek", data={"desa": DESA, "nama": nama, "csrf_token": _token(page.text)})
        assert got.status_code == 200, got.text
        return c, got.text

    yield search
    for c in made:
        c.close()


def _results(html: str) -> str:
    return html.split('class="result-list"')[1].split('</ul>\n  <p class="hint">Status program')[0]


def _own(client, html: str, nik: str, n: int = 0):
    return client.post(f"/cek/alasan/{n}", data={"nik": nik, "csrf_token": _token(html)})


def test_in_dtks_says_the_rule_met_the_penetapan_and_the_program_rules_not_met(cek, penetapan):
    client, html = cek("sumarni")
    shown = _results(html)
    assert "Terdaftar dalam DTKS" in shown
    assert "Menurut Penetapan DTKS Jubung Uji, ditetapkan" in shown and "berlaku sejak" in shown
    assert "memenuhi aturan penetapan: aktif di registri, desil 1–5" in shown
    # BPNT and PBI-JK received; PKH not, and the page says its rule
    assert "BPNT" in shown and "PBI-JK" in shown
    assert (
        "Tidak termasuk PKH. Syarat PKH: keluarga yang terdaftar dalam DTKS dengan desil 1–4, dan memiliki"
        in shown
    )
    assert 'href="/cek/sanggah/0"' in shown
    assert "Desil rumah tangga Anda" not in shown  # values only for the person themself
    own = _own(client, html, "3509154107700001")
    assert own.status_code == 200, own.text
    assert "Data Anda yang dipakai" in own.text and re.search(
        r"<dt>Desil rumah tangga Anda</dt><dd>2</dd>", own.text
    )
    assert "Rudi" not in own.text and "3509150101150002" not in own.text  # the other member


def test_excluded_by_desil_names_the_rule_and_the_way_to_dispute(cek):
    client, html = cek("paijo")
    shown = _results(html)
    assert "Tidak terdaftar dalam DTKS" in shown
    assert (
        "Aturan penetapan: yang masuk DTKS hanya rumah tangga dengan tingkat kesejahteraan desil 1–5."
        in shown
    )
    assert "berada di atas batas itu" in shown and ">7<" not in shown
    assert "Ajukan usul pendaftaran" in shown and "kantor desa/kelurahan" in shown
    own = _own(client, html, "3509150202650003")
    assert re.search(r"<dt>Desil rumah tangga Anda</dt><dd>7</dd>", own.text)


def test_excluded_by_a_members_asn_finding_never_names_that_member(cek):
    client, html = cek("lestari")
    shown = _results(html)
    assert "Aturan penetapan: rumah tangga ASN/TNI/Polri dikecualikan dari DTKS." in shown
    assert "Karyono" not in html and "KA***NO" not in html and "3509150303750004" not in html
    own = _own(client, html, "3509154404780005")
    assert own.status_code == 200
    # her own data: no finding of hers; his ASN record is not told to her, nor his name or NIK
    assert "tercatat sebagai ASN" not in own.text
    assert "Karyono" not in own.text and "3509150303750004" not in own.text
    client2, html2 = cek("karyono", ip="10.7.0.2")
    own2 = _own(client2, html2, "3509150303750004")
    assert "Menurut data kepegawaian, anggota keluarga ini tercatat sebagai ASN/TNI/Polri." in own2.text
    assert "Lestari" not in own2.text and "3509154404780005" not in own2.text


def test_a_member_who_died_is_told_why_and_the_household_stays(cek):
    client, html = cek("darmo")
    shown = _results(html)
    assert "Tidak terdaftar dalam DTKS" in shown
    assert "Orang ini tercatat telah meninggal dunia, sehingga tidak lagi termasuk DTKS." in shown
    assert "Ngatini" not in html and "NG***NI" not in html
    own = _own(client, html, "3509150606450007")
    assert "Menurut data kependudukan, anggota keluarga ini telah meninggal dunia." in own.text
    _, other = cek("ngatini", ip="10.7.0.3")
    assert "Terdaftar dalam DTKS" in _results(other) and "Darmo" not in other


def test_a_wrong_nik_shows_nothing_and_counts_against_the_limit(cek):
    client, html = cek("sumarni", ip="10.7.0.9")
    wrong = _own(client, html, "3509150101150002")  # her son's NIK, not hers
    assert wrong.status_code == 422
    assert (
        "NIK tidak cocok dengan orang yang dipilih" in wrong.text and "Desil rumah tangga" not in wrong.text
    )
    statuses = {_own(client, html, "3509150000000000").status_code for _ in range(20)}
    assert 429 in statuses  # trying NIKs against a found name is throttled
