"""HTTP between instances: signed requests, resumable uploads of the same change-set file a USB stick carries.

Every request names its instance and is signed with that instance's Ed25519 key over method, path, time
and the body's sha256 (`X-Siks-Instance`, `X-Siks-Time`, `X-Siks-Signature`); the receiver checks it
against the pinned key and refuses requests older than five minutes. No cookies, no CSRF token: the
signature is the authentication.

An upload is sent in pieces (`PUT /api/v1/sync/unggah/{set_id}?offset=…&total=…`); the receiver stores
each piece, so a cut link resumes from the last stored byte (`GET` the same path). The last piece and the
apply share one transaction: a receiver killed mid-apply has neither, and the sender re-sends that piece.
"""

from __future__ import annotations

import hashlib
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

from siks.sync import signing

MAX_SKEW = 300  # seconds
CHUNK = 64 * 1024


def signed_message(method: str, path: str, stamp: str, body: bytes) -> bytes:
    return f"{method.upper()}\n{path}\n{stamp}\n{hashlib.sha256(body).hexdigest()}".encode()


def headers(instance_id: str, key, method: str, path: str, body: bytes) -> dict:
    stamp = str(int(time.time()))
    return {
        "X-Siks-Instance": instance_id,
        "X-Siks-Time": stamp,
        "X-Siks-Signature": signing.sign(key, signed_message(method, path, stamp, body)),
    }


def check(
    public_key: str, method: str, path: str, stamp: str | None, signature: str | None, body: bytes
) -> str:
    """'' when the request is authentic and fresh; else the reason (Indonesian) it is refused."""
    if not stamp or not signature:
        return "Permintaan tanpa tanda tangan instansi."
    try:
        age = abs(time.time() - int(stamp))
    except ValueError:
        return "Waktu permintaan tidak sah."
    if age > MAX_SKEW:
        return "Permintaan kedaluwarsa (selisih waktu lebih dari 5 menit)."
    if not signing.verify(public_key, signed_message(method, path, stamp, body), signature):
        return "Tanda tangan permintaan tidak sah untuk kunci yang disematkan."
    return ""


class TransferError(RuntimeError):
    """The peer answered with a refusal (not a cut link): retrying the same bytes will not help."""


@dataclass
class Client:
    base_url: str
    instance_id: str
    key: object
    timeout: float = 30.0

    def request(self, method: str, path: str, body: bytes = b"") -> dict:
        full = self.base_url.rstrip("/") + path
        req = urllib.request.Request(
            full,
            data=body if method != "GET" else None,
            method=method,
            headers=headers(self.instance_id, self.key, method, path, body),
        )
        req.add_header("Content-Type", "application/octet-stream")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return json.loads(resp.read() or b"{}")
        except urllib.error.HTTPError as exc:
            try:
                detail = json.loads(exc.read()).get("detail")
            except ValueError:
                detail = None
            if exc.code in (409,):
                return {"conflict": True, "detail": detail}
            raise TransferError(f"{exc.code}: {detail or exc.reason}") from exc

    def upload(
        self,
        set_id: str,
        data: bytes,
        *,
        attempts: int = 8,
        wait: float = 0.5,
        piece: int = CHUNK,
        progress: Callable[[int, int], None] | None = None,
    ) -> dict:
        """Send `data` in pieces, resuming after a cut link; returns the receiver's apply result."""
        path = f"/api/v1/sync/unggah/{set_id}"
        total = len(data)
        failures = 0
        while True:
            try:
                state = self.request("GET", f"{path}?total={total}")
                offset = int(state.get("received", 0))
                while True:
                    chunk = data[offset : offset + piece]
                    answer = self.request("PUT", f"{path}?offset={offset}&total={total}", chunk)
                    if answer.get("conflict"):
                        break  # the receiver holds a different offset: ask again
                    offset = int(answer["received"])
                    if progress:
                        progress(offset, total)
                    if answer.get("selesai"):
                        return answer["hasil"]
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as exc:
                if isinstance(exc, urllib.error.HTTPError):
                    raise
                failures += 1
                if failures >= attempts:
                    raise TransferError(
                        f"Sambungan ke {self.base_url} terputus {failures} kali: {exc}"
                    ) from exc
                time.sleep(wait * failures)
