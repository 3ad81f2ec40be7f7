"""The status vocabulary of runs, batches, imports and field tasks: one convention, one place.

Convention: a status value is the Indonesian word the workflow itself uses, in lower case, words joined by
`_` (`selesai`, `diajukan`, `sudah_dimuat`), the same convention as the usulan states
(`siks.domain.usulan.Status`); the member name is the value in upper case. Values are what the database
and the JSON API carry; people read the label (`label(status)`). A stored value changes only with an Alembic
data migration (`0010_status_enums` turned the usulan and batch `draft` into `draf`).
"""

from __future__ import annotations

from enum import StrEnum


class RunStatus(StrEnum):
    """A verval run (`verval_run.status`)."""

    BERJALAN = "berjalan"
    SELESAI = "selesai"
    GAGAL = "gagal"
    KIRIMAN = "kiriman"  # the results of another instance's run, received by sync; never this one's latest


class BatchStatus(StrEnum):
    """A desa's Musdes batch of usulan (`usulan_batch.status`); the words are the usulan's own."""

    DRAF = "draf"
    DIAJUKAN = "diajukan"


class ImportStatus(StrEnum):
    """What `siks import` did with a file (`ImportResult.status`)."""

    DIMUAT = "dimuat"  # rows inserted or updated
    TIDAK_BERUBAH = "tidak_berubah"  # loaded again with --paksa: nothing differed
    SUDAH_DIMUAT = "sudah_dimuat"  # the same file (sha256) was loaded before: nothing done
    DITOLAK = "ditolak"  # errors: nothing written


class UploadStatus(StrEnum):
    """A template file uploaded in the browser (`web_import.status`): checked, previewed, confirmed."""

    MEMERIKSA = "memeriksa"  # being checked in the background (a dry run of the importer)
    SIAP = "siap"  # checked without errors: the preview waits for the operator's confirmation
    DITOLAK = "ditolak"  # errors: nothing can be written; the report says why
    SUDAH_DIMUAT = "sudah_dimuat"  # the same file (sha256) was imported before
    MENULIS = "menulis"  # confirmed: being written
    DIMUAT = "dimuat"  # written
    TIDAK_BERUBAH = "tidak_berubah"  # confirmed, but nothing differed from the registry
    DIBATALKAN = "dibatalkan"  # the operator cancelled it before writing
    GAGAL = "gagal"  # the check or the write stopped on an unexpected fault


class TaskStatus(StrEnum):
    """A field verval task (`field_task.status`)."""

    DITUGASKAN = "ditugaskan"
    SELESAI = "selesai"


LABEL: dict[StrEnum, str] = {
    RunStatus.BERJALAN: "Sedang berjalan",
    RunStatus.SELESAI: "Selesai",
    RunStatus.GAGAL: "Gagal",
    RunStatus.KIRIMAN: "Kiriman instansi lain",
    BatchStatus.DRAF: "Draf",
    BatchStatus.DIAJUKAN: "Diajukan ke kecamatan",
    ImportStatus.DIMUAT: "Dimuat",
    ImportStatus.TIDAK_BERUBAH: "Tidak ada perubahan",
    ImportStatus.SUDAH_DIMUAT: "Sudah pernah dimuat",
    ImportStatus.DITOLAK: "Ditolak",
    UploadStatus.MEMERIKSA: "Sedang diperiksa",
    UploadStatus.SIAP: "Siap disimpan (menunggu persetujuan)",
    UploadStatus.DITOLAK: "Ditolak: ada galat",
    UploadStatus.SUDAH_DIMUAT: "Sudah pernah dimuat",
    UploadStatus.MENULIS: "Sedang disimpan",
    UploadStatus.DIMUAT: "Tersimpan",
    UploadStatus.TIDAK_BERUBAH: "Tidak ada perubahan",
    UploadStatus.DIBATALKAN: "Dibatalkan",
    UploadStatus.GAGAL: "Gagal",
    TaskStatus.DITUGASKAN: "Belum dikunjungi",
    TaskStatus.SELESAI: "Selesai",
}

STATUS_ENUMS: tuple[type[StrEnum], ...] = (RunStatus, BatchStatus, ImportStatus, UploadStatus, TaskStatus)
KINDS: dict[str, type[StrEnum]] = {
    "run": RunStatus,
    "batch": BatchStatus,
    "import": ImportStatus,
    "upload": UploadStatus,
    "task": TaskStatus,
}


def label(status: StrEnum) -> str:
    """What a person reads for a status (Indonesian)."""
    return LABEL[status]


def label_of(kind: str, value: str) -> str:
    """The label of a stored value: `label_of("task", "ditugaskan")` is "Belum dikunjungi" (templates)."""
    return LABEL[KINDS[kind](value)]
