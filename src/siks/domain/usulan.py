"""The usulan workflow as data: states, levels, transitions and who may take each.

Why data and not code per screen: every page, the JSON API and any other channel ask this one table, and the
tests walk it as a role × state matrix (docs/sources.md §2.6). An usulan sits at a *holder* level — the level
that must act next. At that level three things can happen: it moves up (`ajukan`, `verifikasi`, `sahkan`,
`teruskan`, `terima`), it goes back one level with a note (`kembalikan`), or it is refused with a note
(`tolak`). The instance's top level (kabupaten for a kabupaten-run siks, pusat for a national one) ends the
chain: its forward action makes the usulan final and applies it to the registry.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from siks.domain.roles import LEVEL_LABEL, LEVELS, Level


class Status(StrEnum):
    DRAF = "draf"
    DIAJUKAN = "diajukan"
    DIVERIFIKASI = "diverifikasi"
    DISAHKAN = "disahkan"
    DITERUSKAN = "diteruskan"
    DITERIMA = "diterima"
    DIKEMBALIKAN = "dikembalikan"
    DITOLAK = "ditolak"


STATUS_LABEL = {
    Status.DRAF: "Draf",
    Status.DIAJUKAN: "Diajukan desa",
    Status.DIVERIFIKASI: "Diverifikasi kecamatan",
    Status.DISAHKAN: "Disahkan kabupaten",
    Status.DITERUSKAN: "Diteruskan provinsi",
    Status.DITERIMA: "Diterima pusat",
    Status.DIKEMBALIKAN: "Dikembalikan",
    Status.DITOLAK: "Ditolak",
}


class Action(StrEnum):
    AJUKAN = "ajukan"
    VERIFIKASI = "verifikasi"
    SAHKAN = "sahkan"
    TERUSKAN = "teruskan"
    TERIMA = "terima"
    KEMBALIKAN = "kembalikan"
    TOLAK = "tolak"


ACTION_LABEL = {
    Action.AJUKAN: "Ajukan",
    Action.VERIFIKASI: "Verifikasi",
    Action.SAHKAN: "Sahkan",
    Action.TERUSKAN: "Teruskan",
    Action.TERIMA: "Terima",
    Action.KEMBALIKAN: "Kembalikan",
    Action.TOLAK: "Tolak",
}

# The forward step of each level: the action and the state it leaves the usulan in.
FORWARD: dict[Level, tuple[Action, Status]] = {
    Level.DESA: (Action.AJUKAN, Status.DIAJUKAN),
    Level.KECAMATAN: (Action.VERIFIKASI, Status.DIVERIFIKASI),
    Level.KABUPATEN: (Action.SAHKAN, Status.DISAHKAN),
    Level.PROVINSI: (Action.TERUSKAN, Status.DITERUSKAN),
    Level.PUSAT: (Action.TERIMA, Status.DITERIMA),
}

# Who acts at each level. Pengesahan is the Bupati/Walikota's: only `pengesah_kabupaten` takes `sahkan`;
# the Dinsos supervisor may send back or refuse. `operator_kabupaten` enters data and runs field work, and
# `auditor` only reads.
FORWARD_ROLES: dict[Level, frozenset[str]] = {
    Level.DESA: frozenset({"operator_desa"}),
    Level.KECAMATAN: frozenset({"operator_kecamatan"}),
    Level.KABUPATEN: frozenset({"pengesah_kabupaten"}),
    Level.PROVINSI: frozenset({"operator_provinsi"}),
    Level.PUSAT: frozenset({"pusat"}),
}
STOP_ROLES: dict[Level, frozenset[str]] = {
    Level.DESA: frozenset({"operator_desa"}),
    Level.KECAMATAN: frozenset({"operator_kecamatan"}),
    Level.KABUPATEN: frozenset({"supervisor_kabupaten", "pengesah_kabupaten"}),
    Level.PROVINSI: frozenset({"operator_provinsi"}),
    Level.PUSAT: frozenset({"pusat"}),
}
# Roles that may create and edit drafts (at desa); other channels (warga, verval) create through the service.
DRAFT_ROLES = frozenset({"operator_desa"})


@dataclass(frozen=True, slots=True)
class Transition:
    """One row of the state machine: at `level`, from `source`, `action` leads to `target` at `target_level`.

    `target_level` is the level that holds the usulan afterwards; None means the usulan is closed.
    """

    action: Action
    source: Status
    level: Level
    target: Status
    target_level: Level | None
    roles: frozenset[str]
    note_required: bool
    applies: bool = False  # the usulan becomes final and accepted: apply it to the registry


class WorkflowError(Exception):
    """A refused step. `code` is stable (API, tests); the message is Indonesian, for the user."""

    code = "workflow"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidTransition(WorkflowError):
    code = "transisi_tidak_sah"


class NotAllowed(WorkflowError):
    code = "tidak_berwenang"


class NoteRequired(WorkflowError):
    code = "catatan_wajib"


def _entry_status(level: Level) -> Status:
    """The state in which an usulan arrives at `level` from below."""
    if level is Level.DESA:
        return Status.DRAF
    return FORWARD[LEVELS[LEVELS.index(level) - 1]][1]


class Workflow:
    """The state machine for an instance whose chain ends at `top` (kabupaten or pusat, usually)."""

    def __init__(self, top: Level | str = Level.PUSAT):
        self.top = Level(top)
        self.levels: tuple[Level, ...] = LEVELS[: LEVELS.index(self.top) + 1]
        self.transitions: tuple[Transition, ...] = tuple(self._build())
        self._index = {(t.source, t.level, t.action): t for t in self.transitions}

    def _build(self):
        for i, level in enumerate(self.levels):
            action, forward_state = FORWARD[level]
            final = level is self.top
            up = None if final else self.levels[i + 1]
            for source in (_entry_status(level), Status.DIKEMBALIKAN):
                yield Transition(
                    action, source, level, forward_state, up, FORWARD_ROLES[level], False, applies=final
                )
                if i > 0:
                    yield Transition(
                        Action.KEMBALIKAN, source, level, Status.DIKEMBALIKAN, self.levels[i - 1],
                        STOP_ROLES[level], True,
                    )  # fmt: skip
                yield Transition(Action.TOLAK, source, level, Status.DITOLAK, None, STOP_ROLES[level], True)

    @property
    def accepted_status(self) -> Status:
        """The final, accepted state of this instance (diterima for pusat, disahkan for kabupaten)."""
        return FORWARD[self.top][1]

    def is_open(self, level: Level | str | None) -> bool:
        """Open while some level holds it; closed once accepted or refused."""
        return level is not None

    def is_accepted(self, status: Status | str, level: Level | str | None) -> bool:
        return level is None and Status(status) is self.accepted_status

    def available(self, status: Status | str, level: Level | str | None, role: str | None = None):
        """The transitions open from this state, optionally only those `role` may take."""
        if level is None:
            return []
        return [
            t
            for t in self.transitions
            if t.source == Status(status) and t.level == Level(level) and (role is None or role in t.roles)
        ]

    def step(
        self,
        status: Status | str,
        level: Level | str | None,
        action: Action | str,
        role: str,
        note: str | None,
    ) -> Transition:
        """Check one step and return its transition, or raise a WorkflowError saying why not."""
        try:
            action = Action(action)
        except ValueError:
            raise InvalidTransition(f"Aksi '{action}' tidak dikenal.") from None
        status = Status(status)
        if level is None:
            raise InvalidTransition(
                f"Usulan sudah selesai ({STATUS_LABEL[status]}); tidak dapat diproses lagi."
            )
        level = Level(level)
        t = self._index.get((status, level, action))
        if t is None:
            raise InvalidTransition(
                f"Aksi '{ACTION_LABEL[action]}' tidak berlaku untuk usulan berstatus "
                f"{STATUS_LABEL[status]} di tingkat {LEVEL_LABEL[level]}."
            )
        if role not in t.roles:
            raise NotAllowed(
                f"Peran {role} tidak berwenang melakukan '{ACTION_LABEL[action]}' "
                f"di tingkat {LEVEL_LABEL[level]}."
            )
        if t.note_required and not (note or "").strip():
            raise NoteRequired(f"Aksi '{ACTION_LABEL[action]}' wajib disertai catatan/alasan.")
        return t


def can_edit(status: Status | str, level: Level | str | None, role: str) -> bool:
    """Drafts and usulan sent back to the desa may be edited there, by the desa operator."""
    return (
        level is not None
        and Level(level) is Level.DESA
        and Status(status) in (Status.DRAF, Status.DIKEMBALIKAN)
        and role in DRAFT_ROLES
    )


# --- the 14-day rule (docs/usulan.md §8) ------------------------------------------------------------------

# Cek Bansos: a sanggah the Pemda kabupaten/kota does not verify within 14 days is declared "tidak layak"
# (docs/domain-facts.md §2.5, ayobogor.com). siks holds a citizen's usul to the same clock: both wait on
# the kabupaten, and the desa and kecamatan must pass them up in time.
SLA_DAYS = 14


def has_deadline(kind: str, channel: str) -> bool:
    """A sanggah (any channel) and a citizen's usul (kind baru from the warga channel) run on the clock."""
    return kind == "sanggah" or (kind == "baru" and channel == "warga")


def deadline(created_at: dt.datetime) -> dt.datetime:
    """When the kabupaten must have acted on an usulan filed at `created_at`."""
    return created_at + dt.timedelta(days=SLA_DAYS)
