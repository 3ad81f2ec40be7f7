"""Keys, message signatures and access tokens of the DCI API.

- Keys are JWKs (RFC 7517): Ed25519 (`kty=OKP`) or RSA (RS256). siks publishes its public key at
  `/.well-known/jwks.json`; each agency registers its own JWKS when it is onboarded.
- The envelope signature follows the DCI `MsgSignature` format:
  `Signature: namespace="spdci", kidId="{sender_id}|{kid}|{algorithm}", algorithm="ed25519",
  created="…", expires="…", headers="(created) (expires) digest", signature="…"`.
  The signed text is `(created): C\\n(expires): E\\ndigest: BLAKE-512=D`, where D is the base64 BLAKE2b-512
  digest of the canonical JSON of `{"header": …, "message": …}` (keys sorted, no spaces, UTF-8).
  `algorithm` is `ed25519` or `rs256` (RSASSA-PKCS1-v1_5 with SHA-256).
- Access tokens (OAuth2 client credentials) are JWTs that siks signs with its own key, valid one hour.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import time
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import JWKRegistry, OKPKey, RSAKey

from siks.settings import settings

SIGNATURE_TTL = 300  # seconds a signed message stays valid
CLOCK_SKEW = 60
TOKEN_TTL = 3600
CALLBACK_SCOPE = "registry.callback"
TOKEN_ALGORITHMS = ["Ed25519", "RS256"]  # Ed25519 as a JWS alg: RFC 9864
ALGORITHMS = {"ed25519": "OKP", "rs256": "RSA"}


class TrustError(Exception):
    """A message or token siks cannot trust; `code` is the DCI error code (err.signature.invalid, …)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def generate_key(kind: str = "ed25519") -> OKPKey | RSAKey:
    """A new private signing key with its RFC 7638 thumbprint as `kid`."""
    if kind == "ed25519":
        return OKPKey.generate_key("Ed25519", parameters={"use": "sig", "alg": "Ed25519"}, auto_kid=True)
    if kind == "rs256":
        return RSAKey.generate_key(2048, parameters={"use": "sig", "alg": "RS256"}, auto_kid=True)
    raise ValueError(f"Jenis kunci '{kind}' tidak dikenal; gunakan ed25519 atau rs256.")


def algorithm_of(key) -> str:
    return "ed25519" if key.key_type == "OKP" else "rs256"


def public_jwk(key) -> dict:
    """The public half as a JWK with the fields the DCI JWKS schema requires (kty, kid, use, alg)."""
    data = dict(key.as_dict(private=False))
    data.setdefault("use", "sig")
    data.setdefault("alg", "Ed25519" if key.key_type == "OKP" else "RS256")
    data["kid"] = key.kid or key.thumbprint()
    return data


def jwks(*keys) -> dict:
    return {"keys": [public_jwk(k) for k in keys]}


def import_key(data: dict):
    return JWKRegistry.import_key(data)


def default_key_file() -> Path:
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "siks" / "dci_signing_key.json"


def load_signing_key(path: str | Path | None = None):
    """siks's own private key: `SIKS_DCI_KEY_FILE` (a private JWK), created on first use, mode 0600."""
    file = Path(path or settings().dci_key_file or default_key_file())
    if file.exists():
        return import_key(json.loads(file.read_text()))
    file.parent.mkdir(parents=True, exist_ok=True)
    key = generate_key("ed25519")
    try:  # O_EXCL: when two workers race, one writes and both read the same key
        fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return import_key(json.loads(file.read_text()))
    with os.fdopen(fd, "w") as fh:
        json.dump(key.as_dict(private=True), fh)
    return key


# --- envelope signatures ----------------------------------------------------------------------------------


def canonical(header: dict, message) -> bytes:
    return json.dumps(
        {"header": header, "message": message}, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()


def _signing_text(created: int, expires: int, header: dict, message) -> bytes:
    digest = base64.b64encode(hashlib.blake2b(canonical(header, message), digest_size=64).digest()).decode()
    return f"(created): {created}\n(expires): {expires}\ndigest: BLAKE-512={digest}".encode()


def sign(
    header: dict, message, key, sender_id: str, *, now: float | None = None, ttl: int = SIGNATURE_TTL
) -> str:
    """The `signature` string of an envelope, signed with a private key."""
    created = int(now if now is not None else time.time())
    expires = created + ttl
    algorithm = algorithm_of(key)
    text = _signing_text(created, expires, header, message)
    if algorithm == "ed25519":
        raw = key.private_key.sign(text)
    else:
        raw = key.private_key.sign(text, padding.PKCS1v15(), hashes.SHA256())
    kid = key.kid or key.thumbprint()
    return (
        f'Signature: namespace="spdci", kidId="{sender_id}|{kid}|{algorithm}", algorithm="{algorithm}", '
        f'created="{created}", expires="{expires}", headers="(created) (expires) digest", '
        f'signature="{base64.b64encode(raw).decode()}"'
    )


_PARAM = re.compile(r'(\w+)="([^"]*)"')


def parse_signature(signature: str) -> dict[str, str]:
    if not isinstance(signature, str) or not signature.startswith("Signature:"):
        raise TrustError("err.signature.missing", "Tanda tangan pesan tidak ada.")
    params = dict(_PARAM.findall(signature))
    missing = {"kidId", "algorithm", "created", "expires", "signature"} - set(params)
    if missing:
        raise TrustError(
            "err.signature.invalid", f"Tanda tangan tidak lengkap: {', '.join(sorted(missing))}."
        )
    return params


def verify(
    signature: str | None, header: dict, message, sender_id: str, keyset: dict, *, now: float | None = None
) -> str:
    """Check an envelope against the sender's published keys; return the key id used.

    Refuses: no signature, a kidId naming another sender, an unknown key, a wrong algorithm for the key,
    a message outside its created..expires window, and any byte of header or message changed.
    """
    if not signature:
        raise TrustError("err.signature.missing", "Tanda tangan pesan tidak ada.")
    p = parse_signature(signature)
    parts = p["kidId"].split("|")
    if len(parts) != 3 or parts[0] != sender_id:
        raise TrustError("err.signature.invalid", "kidId tanda tangan tidak cocok dengan sender_id.")
    _, kid, algorithm = parts
    if algorithm != p["algorithm"] or algorithm not in ALGORITHMS:
        raise TrustError(
            "err.signature.invalid", f"Algoritma tanda tangan '{p['algorithm']}' tidak didukung."
        )
    try:
        created, expires = int(p["created"]), int(p["expires"])
    except ValueError:
        raise TrustError("err.signature.invalid", "created/expires tanda tangan bukan angka.") from None
    moment = now if now is not None else time.time()
    if expires < moment - CLOCK_SKEW:
        raise TrustError("err.signature.invalid", "Tanda tangan pesan sudah kedaluwarsa.")
    if created > moment + CLOCK_SKEW or expires <= created or expires - created > 24 * 3600:
        raise TrustError("err.signature.invalid", "Masa berlaku tanda tangan tidak wajar.")
    jwk = next((k for k in (keyset or {}).get("keys", []) if k.get("kid") == kid), None)
    if jwk is None:
        raise TrustError("err.signature.invalid", f"Kunci '{kid}' tidak terdaftar untuk pengirim ini.")
    if jwk.get("kty") != ALGORITHMS[algorithm]:
        raise TrustError("err.signature.invalid", "Jenis kunci tidak cocok dengan algoritma tanda tangan.")
    try:
        public = import_key(jwk).public_key
        raw = base64.b64decode(p["signature"], validate=True)
        text = _signing_text(created, expires, header, message)
        if algorithm == "ed25519":
            public.verify(raw, text)
        else:
            public.verify(raw, text, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError, JoseError):
        raise TrustError("err.signature.invalid", "Tanda tangan pesan tidak sah.") from None
    return kid


# --- access tokens ----------------------------------------------------------------------------------------


def issue_token(
    key, client_id: str, scope: str, *, now: float | None = None, issuer: str = "siks"
) -> tuple[str, int]:
    """A bearer token for `client_id`; siks also sends one with each callback (verifiable by its JWKS)."""
    issued = int(now if now is not None else time.time())
    claims = {"iss": issuer, "sub": client_id, "scope": scope, "iat": issued, "exp": issued + TOKEN_TTL}
    alg = "Ed25519" if key.key_type == "OKP" else "RS256"
    header = {"alg": alg, "kid": key.kid or key.thumbprint(), "typ": "JWT"}
    return jwt.encode(header, claims, key, algorithms=[alg]), TOKEN_TTL


def read_token(
    key, token: str, *, now: float | None = None, issuer: str = "siks", callback: bool = False
) -> dict:
    """The claims of a token siks issued, or TrustError(err.request.unauthorized).

    Callback tokens (scope `registry.callback`, sent with siks's callbacks) and API tokens are not
    interchangeable: `callback=True` accepts only the first kind, the default only the second.
    """
    try:
        claims = jwt.decode(token, key, algorithms=TOKEN_ALGORITHMS).claims
    except (JoseError, ValueError):
        raise TrustError("err.request.unauthorized", "Token akses tidak sah.") from None
    moment = now if now is not None else time.time()
    if (
        claims.get("iss") != issuer
        or not claims.get("sub")
        or (claims.get("scope") == CALLBACK_SCOPE) != callback
    ):
        raise TrustError("err.request.unauthorized", "Token akses tidak sah.")
    if int(claims.get("exp", 0)) < moment:
        raise TrustError("err.request.unauthorized", "Token akses sudah kedaluwarsa.")
    return claims
