"""Official documents as PDF (fpdf2): the daftar penetapan and the berita acara Musdes with its BNBA.

Why PDF here: these are printed, signed and stamped (docs/domain-facts.md §2.2, §2.3), so the layout must
not depend on a browser. The text is generated from frozen or submitted data only: a daftar penetapan from the
penetapan tables, a berita acara from the batch's usulan, so a reprint gives the same document.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import matplotlib
from fpdf import FPDF

from siks.domain import formats

FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def tanggal(day: dt.date | dt.datetime | None) -> str:
    return formats.tanggal(day)


class Document(FPDF):
    """A4 with the DejaVu font, a running footer with page numbers and the source of the data."""

    def __init__(self, footer: str, orientation: str = "P"):
        super().__init__(orientation=orientation, unit="mm", format="A4")
        self.footer_text = footer
        self.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
        self.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        self.set_font("DejaVu", size=10)
        self.set_auto_page_break(True, margin=15)
        self.set_creator("SIKS")

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("DejaVu", size=7)
        self.cell(0, 5, f"{self.footer_text} · halaman {self.page_no()}/{{nb}}", align="C")

    def heading(self, lines: Sequence[str]) -> None:
        self.set_font("DejaVu", "B", 12)
        for line in lines:
            self.cell(0, 6, line, align="C", new_x="LMARGIN", new_y="NEXT")
        self.ln(3)
        self.set_font("DejaVu", size=9)

    def facts(self, rows: Sequence[tuple[str, str]]) -> None:
        for label, value in rows:
            self.cell(45, 5, label)
            self.multi_cell(0, 5, f": {value}", new_x="LMARGIN", new_y="NEXT")
        self.ln(2)

    def grid(self, header: Sequence[str], rows: Sequence[Sequence[object]], widths: Sequence[float]) -> None:
        self.set_font("DejaVu", size=7.5)
        with self.table(col_widths=tuple(widths), line_height=4.2, first_row_as_headings=True) as table:
            head = table.row()
            for h in header:
                head.cell(h)
            for r in rows:
                row = table.row()
                for value in r:
                    row.cell("" if value is None else str(value))
        self.set_font("DejaVu", size=9)

    def signatures(self, place_date: str, roles: Sequence[str]) -> None:
        self.ln(6)
        if self.will_page_break(40):
            self.add_page()
        self.cell(0, 5, place_date, align="R", new_x="LMARGIN", new_y="NEXT")
        width = (self.w - self.l_margin - self.r_margin) / len(roles)
        y = self.get_y() + 2
        for i, role in enumerate(roles):
            self.set_xy(self.l_margin + i * width, y)
            self.multi_cell(width, 5, role, align="C")
            self.set_xy(self.l_margin + i * width, y + 28)
            self.cell(width, 5, "(.................................)", align="C")


def daftar_penetapan(p, households, members: dict, wilayah_name: str, mask) -> bytes:
    """The list of ruta in DTKS for a penetapan within a wilayah; `mask` shows a NIK as the reader may."""
    doc = Document(f"Daftar penetapan #{p.id} · dibuat oleh SIKS", orientation="L")
    doc.alias_nb_pages()
    doc.add_page()
    doc.heading(["DAFTAR PENETAPAN DATA TERPADU KESEJAHTERAAN SOSIAL (DTKS)", p.title.upper()])
    doc.facts([
        ("Wilayah", wilayah_name), ("Periode", f"{p.periode}, berlaku mulai {tanggal(p.berlaku_mulai)}"),
        ("Kriteria", p.criteria_key), ("Verval run", p.verval_run_id or "-"),
        ("Jumlah", f"{formats.angka(len(households))} rumah tangga, "
                   f"{formats.angka(sum(h.jumlah_art for h in households))} jiwa"),
        ("Ditetapkan", f"{tanggal(p.created_at)} oleh {p.created_by}"),
        *model_warning(p),
    ])  # fmt: skip
    rows = []
    for i, h in enumerate(households, start=1):
        people = [m for m in members.get(h.household_ref, []) if m.included]
        head = next((m for m in people if m.hubungan_kk == 1), people[0] if people else None)
        address = f"{h.alamat or ''} RT {h.rt or '-'}/RW {h.rw or '-'}"
        rows.append((
            i, h.household_ref, head.nama if head else "-", mask(head.nik) if head else "", address,
            wilayah_short(h.desa_code), h.desil, len(people),
        ))  # fmt: skip
    doc.grid(("No", "ID ruta", "Kepala rumah tangga", "NIK", "Alamat", "Desa", "Desil", "Jiwa"), rows,
             (10, 32, 50, 34, 70, 45, 14, 12))  # fmt: skip
    doc.signatures(f"Ditetapkan, {tanggal(p.berlaku_mulai)}", ["Kepala Dinas Sosial", "Bupati/Walikota"])
    return bytes(doc.output())


def model_warning(p) -> list[tuple[str, str]]:
    """A penetapan whose desil came from a PMT model used outside its wilayah says so on every page set."""
    source = p.score_source or {}
    if not source.get("model_di_luar_wilayah"):
        return []
    return [(
        "PERHATIAN",
        f"desil {source['model_di_luar_wilayah']} ruta dari model PMT di luar wilayah kalibrasinya "
        f"({', '.join(source.get('models') or [])}); "
        f"diizinkan oleh {source.get('izin_di_luar_wilayah', '-')}",
    )]  # fmt: skip


def wilayah_short(code: str | None) -> str:
    from siks.domain import wilayah

    w = wilayah.get(code) if code else None
    return w.name if w else (code or "-")


# Musdes categories of the berita acara (docs/domain-facts.md §2.3) by usulan kind/subkind.
_OUT = ("nonaktif", "sanggah")
CATEGORIES = (
    ("a", "Rumah tangga tidak ditemukan", lambda u: u.kind in _OUT and u.subkind == "tidak_ditemukan"),
    ("b", "Rumah tangga mampu", lambda u: u.kind in _OUT and u.subkind == "mampu"),
    ("c", "Rumah tangga pindah", lambda u: u.kind in _OUT and u.subkind == "pindah"),
    ("d", "Rumah tangga diperbaiki", lambda u: u.kind == "perbaikan"),
    ("e", "Meninggal / data ganda", lambda u: u.kind in _OUT and u.subkind in ("meninggal", "ganda")),
    ("f", "Usulan baru", lambda u: u.kind == "baru"),
)


def berita_acara_musdes(batch, usulan: Sequence, desa_name: str, mask) -> bytes:
    """The berita acara of one Musdes with the category counts and the BNBA of its usulan."""
    doc = Document(f"Berita acara Musdes, paket #{batch.id} · dibuat oleh SIKS")
    doc.alias_nb_pages()
    doc.add_page()
    doc.heading(["BERITA ACARA", "MUSYAWARAH DESA/KELURAHAN", f"PEMUTAKHIRAN DTKS {desa_name.upper()}"])
    when = batch.musdes_date or (batch.created_at.date() if batch.created_at else None)
    doc.multi_cell(0, 5, (
        f"Pada hari ini, {tanggal(when)}, telah dilaksanakan Musyawarah Desa/Kelurahan {desa_name} untuk "
        "membahas daftar usulan pemutakhiran Data Terpadu Kesejahteraan Sosial (DTKS) "
        f"dalam paket \"{batch.title}\". "
        "Musyawarah menyepakati keberadaan dan status data sebagai berikut:"
    ), new_x="LMARGIN", new_y="NEXT")  # fmt: skip
    doc.ln(2)
    counted = Counter()
    for key, _, test in CATEGORIES:
        counted[key] = sum(1 for u in usulan if test(u))
    for key, label, _ in CATEGORIES:
        doc.cell(8, 5, f"{key}.")
        doc.cell(90, 5, label)
        doc.cell(0, 5, f": {formats.angka(counted[key])} usulan", new_x="LMARGIN", new_y="NEXT")
    doc.ln(3)
    doc.set_font("DejaVu", "B", 9)
    doc.cell(0, 6, "Lampiran: Daftar By Name By Address (BNBA)", new_x="LMARGIN", new_y="NEXT")
    rows = [
        (i, mask(u.subject_nik) if u.subject_nik else "-", u.subject_name or "-", u.subject_address or "-",
         u.status, u.description or "")
        for i, u in enumerate(usulan, start=1)
    ]  # fmt: skip
    doc.grid(("No", "NIK", "Nama", "Alamat", "Status", "Deskripsi"), rows, (8, 30, 35, 45, 20, 52))
    doc.signatures(
        f"{desa_name}, {tanggal(when)}", ["Kepala Desa/Lurah", "Perangkat desa", "Perwakilan warga"]
    )
    return bytes(doc.output())
