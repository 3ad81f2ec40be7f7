"""Per-program scope of DCI clients: an agency working for program X sees only the people on X's list.

Why a frozen list per client: a program list is the program's rules (eligibility, components, quota)
applied to one penetapan (`siks.programs.service.run`). The list is computed once when an operator sets
the client's programs and kept in `dci_program_member`, so every search and notification filters on an
indexed table, the list is the one of a named penetapan version, and a later rule edit or a new penetapan
widens nobody's view until an operator sets the programs again (audited, with the penetapan id).

What is in the list:
- keluarga-unit programs (PKH, BPNT): every anggota of each keluarga within quota;
- anggota-unit programs (PBI-JK): each listed anggota, and no one else of their ruta.
Quotas are applied to the whole list before the client's wilayah cuts it (the search adds the wilayah).
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from siks.audit import record_change
from siks.domain.programs import Program
from siks.errors import Invalid, NotFound
from siks.programs import service as program_lists
from siks.scope import Scope
from siks.store.models.dci import DciClient, DciClientProgram, DciProgramMember
from siks.store.models.penetapan import Penetapan

CHUNK = 5000


def penetapan_for(session: Session, client: DciClient, penetapan_id: int | None, today: dt.date) -> Penetapan:
    """The penetapan named, or the latest in force today that concerns the client's wilayah."""
    scope = Scope(client.wilayah_code)
    if penetapan_id is not None:
        p = session.get(Penetapan, penetapan_id)
        if p is None or not scope.overlaps(p.wilayah_code):
            raise NotFound(f"Penetapan {penetapan_id} tidak ada di wilayah klien.")
        return p
    stmt = (
        select(Penetapan)
        .where(Penetapan.berlaku_mulai <= today)
        .order_by(Penetapan.berlaku_mulai.desc(), Penetapan.id.desc())
    )
    for p in session.scalars(stmt):
        if scope.overlaps(p.wilayah_code):
            return p
    raise Invalid("Belum ada penetapan yang berlaku untuk wilayah klien; buat penetapan terlebih dahulu.")


def list_members(session: Session, program: Program, p: Penetapan) -> list[tuple[str, str]]:
    """(household_ref, member_ref) of everyone on the program's list of penetapan `p`, within quota."""
    # quota over the whole list; no role: the list is read for its refs, NIK stays masked
    everyone = SimpleNamespace(wilayah_code=None, active=True, username="dci", role=None)
    plist = program_lists.run(session, everyone, program, p.id)
    out: dict[str, str] = {}
    for row in plist.rows:
        if not row.in_quota:
            continue
        household = row.family.household.household_ref
        people = [row.person] if program.unit == "anggota" else row.family.members
        for m in people:
            if m is not None:
                out[m.member_ref] = household
    return [(h, m) for m, h in out.items()]


def set_programs(
    session: Session,
    actor,
    client_id: str,
    programs: list[Program],
    *,
    penetapan_id: int | None = None,
    today: dt.date | None = None,
) -> list[DciClientProgram]:
    """Scope a client to these programs (replacing its previous ones) with each list frozen from one
    penetapan. An empty list removes the program scope: the client then sees its whole wilayah."""
    client = session.scalar(select(DciClient).where(DciClient.client_id == client_id))
    if client is None:
        raise NotFound(f"Klien '{client_id}' tidak terdaftar.")
    codes = [prog.code for prog in programs]
    if len(set(codes)) != len(codes):
        raise Invalid("Setiap program hanya boleh disebut sekali.")
    before = {
        cp.program: {"penetapan": cp.penetapan_id, "unit": cp.units, "aturan": cp.program_key}
        for cp in session.scalars(select(DciClientProgram).where(DciClientProgram.client_id == client.id))
    }
    old_ids = select(DciClientProgram.id).where(DciClientProgram.client_id == client.id)
    session.execute(delete(DciProgramMember).where(DciProgramMember.client_program_id.in_(old_ids)))
    session.execute(delete(DciClientProgram).where(DciClientProgram.client_id == client.id))
    made = []
    p = penetapan_for(session, client, penetapan_id, today or dt.date.today()) if programs else None
    for prog in programs:
        people = list_members(session, prog, p)
        units = len({h for h, _ in people}) if prog.unit == "keluarga" else len(people)
        cp = DciClientProgram(
            client_id=client.id,
            program=prog.code,
            program_key=prog.key,
            params=dict(prog.params),
            penetapan_id=p.id,
            units=units,
            set_by=str(getattr(actor, "username", actor))[:100],
        )
        session.add(cp)
        session.flush()
        rows = [{"client_program_id": cp.id, "household_ref": h, "member_ref": m} for h, m in people]
        for i in range(0, len(rows), CHUNK):  # a national list is hundreds of thousands of rows
            session.execute(insert(DciProgramMember), rows[i : i + CHUNK])
        made.append(cp)
    client.programs = sorted(codes)
    session.flush()
    after = {
        cp.program: {"penetapan": cp.penetapan_id, "unit": cp.units, "aturan": cp.program_key} for cp in made
    }
    record_change(
        session, actor, "dci_client", client.id, {"program": before}, {"program": after}, "program klien DCI"
    )
    return made


def member_refs(client: DciClient):
    """The anggota refs a program-scoped client may see (a subquery for `Member.ref.in_`)."""
    return (
        select(DciProgramMember.member_ref)
        .join(DciClientProgram, DciClientProgram.id == DciProgramMember.client_program_id)
        .where(DciClientProgram.client_id == client.id)
    )


def programs_of(session: Session, client: DciClient) -> list[DciClientProgram]:
    return list(
        session.scalars(
            select(DciClientProgram)
            .where(DciClientProgram.client_id == client.id)
            .order_by(DciClientProgram.program)
        )
    )
