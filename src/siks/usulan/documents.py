"""Berita acara files: checked by their first bytes, stored once by sha256, read back only within scope.

Why magic bytes and not the name or the browser's Content-Type: both are whatever the uploader says. Only
PDF, PNG and JPEG are kept (what a scanned, signed berita acara is). Files are named by their hash in the
data directory, so the same scan uploaded twice is stored once and a stored file can be checked against
the hash in the database.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from siks.errors import Invalid, NotFound
from siks.usulan import config

SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
)


def sniff(data: bytes) -> tuple[str, str] | None:
    """(media type, extension) from the first bytes, or None when the file is none of the accepted kinds."""
    for magic, media_type, ext in SIGNATURES:
        if data.startswith(magic):
            return media_type, ext
    return None


def check(data: bytes, max_bytes: int | None = None) -> tuple[str, str]:
    """Refuse empty, oversized or unknown files (Indonesian messages); return (media type, extension)."""
    limit = max_bytes or config.max_upload_bytes()
    if not data:
        raise Invalid("Berkas berita acara kosong.")
    if len(data) > limit:
        raise Invalid(f"Berkas terlalu besar ({len(data) / 1048576:.1f} MB); batas {limit / 1048576:.0f} MB.")
    found = sniff(data)
    if found is None:
        raise Invalid("Jenis berkas tidak diterima: unggah PDF, JPEG atau PNG (hasil pindai berita acara).")
    return found


def store(data: bytes, ext: str, root: Path | None = None) -> tuple[str, str]:
    """Write the bytes under `<data dir>/berita_acara/ab/<sha256>.<ext>`; return (sha256, relative path)."""
    root = root or config.data_dir()
    digest = hashlib.sha256(data).hexdigest()
    rel = Path("berita_acara") / digest[:2] / f"{digest}.{ext}"
    path = root / rel
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)  # atomic: a reader never sees half a file
    return digest, rel.as_posix()


def resolve(storage_path: str, root: Path | None = None, sha256: str | None = None) -> Path:
    """The file on disk for a stored relative path; refuses anything outside the data directory, and a file
    whose content no longer matches the recorded hash."""
    root = (root or config.data_dir()).resolve()
    path = (root / storage_path).resolve()
    if root not in path.parents or not path.is_file():
        raise NotFound("Berkas tidak ditemukan.")
    if sha256 is not None and hashlib.sha256(path.read_bytes()).hexdigest() != sha256:
        raise Invalid("Isi berkas tidak cocok dengan sidik sha256 yang tercatat; hubungi admin.")
    return path
