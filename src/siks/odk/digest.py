"""HTTP Digest authentication (RFC 7616, MD5 with qop=auth), as ODK Collect speaks it; Basic only over TLS.

Why Digest with a separate ODK password: ODK Collect answers a Digest challenge without sending the
password, which matters on plain HTTP inside a kantor desa network; the server must then recompute
HA1 = MD5(username:realm:password), so it keeps HA1 of a separate, randomly generated ODK password. The argon2
hash of the login password cannot be used for that, and must not be weakened for it. MD5 here protects a
random 20-character secret, not a password a person chose.

Nonces are stateless: `timestamp.random.hmac`, signed with the app's secret key and valid for NONCE_LIFETIME,
so every worker accepts every other worker's nonce. An expired nonce is answered with `stale=true` and
Collect retries without asking the enumerator again.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass

REALM = "siks"
NONCE_LIFETIME = 3600  # seconds
_PARAM = re.compile(r'(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')


def ha1(username: str, password: str, realm: str = REALM) -> str:
    return hashlib.md5(f"{username}:{realm}:{password}".encode()).hexdigest()


def _sign(secret: str, text: str) -> str:
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()[:32]


def make_nonce(secret: str, now: float | None = None) -> str:
    stamp = f"{int(now if now is not None else time.time())}.{secrets.token_hex(8)}"
    return f"{stamp}.{_sign(secret, stamp)}"


def nonce_state(secret: str, nonce: str, now: float | None = None) -> str:
    """'ok', 'stale' (ours but expired) or 'bad' (not ours)."""
    try:
        stamp, rand, sig = nonce.split(".")
        issued = int(stamp)
    except ValueError:
        return "bad"
    if not hmac.compare_digest(sig, _sign(secret, f"{stamp}.{rand}")):
        return "bad"
    age = (now if now is not None else time.time()) - issued
    return "ok" if 0 <= age <= NONCE_LIFETIME else "stale"


def challenge(secret: str, stale: bool = False) -> str:
    """The WWW-Authenticate header value of a 401."""
    value = f'Digest realm="{REALM}", qop="auth", algorithm=MD5, nonce="{make_nonce(secret)}"'
    return value + (", stale=true" if stale else "")


@dataclass(frozen=True, slots=True)
class Credentials:
    """What the Authorization header carried: Digest parameters, or a Basic username and password."""

    scheme: str
    username: str
    params: dict
    password: str | None = None


def parse(header: str | None) -> Credentials | None:
    if not header:
        return None
    scheme, _, rest = header.partition(" ")
    if scheme.lower() == "digest":
        params = {k.lower(): (q if q or not u else u) for k, q, u in _PARAM.findall(rest)}
        params = {k: v.replace('\\"', '"') for k, v in params.items()}
        if "username" not in params:
            return None
        return Credentials("digest", params["username"], params)
    if scheme.lower() == "basic":
        try:
            user, colon, password = base64.b64decode(rest.strip(), validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return Credentials("basic", user, {}, password) if colon and user else None
    return None


def response_for(stored_ha1: str, method: str, params: dict) -> str:
    """The `response` a client holding the password computes for these parameters (qop=auth or none)."""
    ha2 = hashlib.md5(f"{method}:{params.get('uri', '')}".encode()).hexdigest()
    if params.get("qop"):
        nc, cnonce = params.get("nc", ""), params.get("cnonce", "")
        text = f"{stored_ha1}:{params['nonce']}:{nc}:{cnonce}:{params['qop']}:{ha2}"
    else:
        text = f"{stored_ha1}:{params.get('nonce', '')}:{ha2}"
    return hashlib.md5(text.encode()).hexdigest()


def check(creds: Credentials, stored_ha1: str, method: str, path: str, secret: str, tls: bool) -> str:
    """'ok', 'stale' or 'bad' for credentials against a stored HA1 (Basic is refused without TLS)."""
    if creds.scheme == "basic":
        if not tls or creds.password is None:
            return "bad"
        return "ok" if hmac.compare_digest(ha1(creds.username, creds.password), stored_ha1) else "bad"
    p = creds.params
    if (
        p.get("realm") != REALM
        or p.get("qop", "auth") != "auth"
        or p.get("algorithm", "MD5").upper() != "MD5"
    ):
        return "bad"
    if p.get("uri", "").split("?", 1)[0] != path:
        return "bad"
    if not hmac.compare_digest(response_for(stored_ha1, method, p), p.get("response", "")):
        return "bad"
    return nonce_state(secret, p.get("nonce", ""))
