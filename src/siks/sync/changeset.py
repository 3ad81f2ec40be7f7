"""The change-set file: one zip, the same bytes on a USB stick and over HTTP.

```
manifest.json    format, origin, recipient, seq, set_id, from/upto positions, ack, count, sha256 of changes
changes.jsonl    one record state per line: {"gid", "hash", "lineage": [...], "state": {...}}
manifest.sig     Ed25519 signature (base64) of the exact bytes of manifest.json, by the origin's key
```

The manifest names the sha256 of `changes.jsonl`, so one signature covers everything; any changed byte in
either file, or a key that is not the pinned one, refuses the whole set before anything is read into the
database.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass

from siks.sync import signing

FORMAT = "siks-sync/1"


class ChangeSetError(ValueError):
    """The file is not a valid, correctly signed change set for this instance."""


@dataclass
class ChangeSet:
    manifest: dict
    items: list[dict]

    @property
    def origin(self) -> str:
        return self.manifest["origin"]

    @property
    def set_id(self) -> str:
        return self.manifest["set_id"]


def build(manifest: dict, items: Iterable[dict], key) -> bytes:
    """The signed zip. `manifest` gets `format`, `count` and `changes_sha256` filled in here."""
    lines = b"".join(
        json.dumps(item, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"
        for item in items
    )
    manifest = {
        **manifest,
        "format": FORMAT,
        "count": lines.count(b"\n"),
        "changes_sha256": hashlib.sha256(lines).hexdigest(),
    }
    manifest_bytes = json.dumps(manifest, sort_keys=True, indent=1, ensure_ascii=False).encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("manifest.json", manifest_bytes)
        z.writestr("changes.jsonl", lines)
        z.writestr("manifest.sig", signing.sign(key, manifest_bytes))
    return buf.getvalue()


def peek(data: bytes) -> dict:
    """The manifest, unverified: only to find out who claims to have signed it."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return json.loads(z.read("manifest.json"))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ChangeSetError(f"Berkas bukan change set siks yang utuh ({exc}).") from exc


def read(data: bytes, public_key: str) -> ChangeSet:
    """Verify signature and checksum against the pinned `public_key`, then parse."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            manifest_bytes = z.read("manifest.json")
            signature = z.read("manifest.sig").decode()
            lines = z.read("changes.jsonl")
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ChangeSetError(f"Berkas bukan change set siks yang utuh ({exc}).") from exc
    if not signing.verify(public_key, manifest_bytes, signature):
        raise ChangeSetError(
            "Tanda tangan change set tidak sah untuk kunci yang disematkan; ditolak seluruhnya."
        )
    manifest = json.loads(manifest_bytes)
    if manifest.get("format") != FORMAT:
        raise ChangeSetError(f"Format change set tidak dikenal: {manifest.get('format')!r}.")
    if hashlib.sha256(lines).hexdigest() != manifest.get("changes_sha256"):
        raise ChangeSetError("Isi changes.jsonl tidak cocok dengan checksum di manifest; ditolak seluruhnya.")
    items = []
    for n, line in enumerate(lines.splitlines(), start=1):
        try:
            items.append(json.loads(line))
        except ValueError as exc:
            raise ChangeSetError(f"changes.jsonl baris {n}: bukan JSON ({exc}).") from exc
    if len(items) != manifest.get("count"):
        raise ChangeSetError("Jumlah baris changes.jsonl tidak sama dengan manifest.")
    return ChangeSet(manifest, items)
