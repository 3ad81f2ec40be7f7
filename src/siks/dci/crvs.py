"""siks as a DCI CRVS client: online padan of one person against a civil registry (Dukcapil's role).

Why: the batch padan of verval reads a Dukcapil extract, which is weeks old by the time an usulan is
entered. When a desa operator types a new anggota, one signed `sync/search` to the CRVS registry
(`crvs_api_v1.0.0.yaml`) answers at once whether the NIK exists and agrees with name, birth date and sex —
the same exact-match rule as the batch padan (Dukcapil accepts only an exact match).

Protocol: client-credentials token from `{base}/oauth2/client/token`, the registry's public keys from
`{base}/.well-known/jwks.json`, then `{base}/registry/sync/search` with an `idtype-value` query
`{"type": "NIK", "value": …}`. siks signs the envelope with its own key; the answer's signature is checked
against the registry's JWKS before anything in it is believed.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field

from sqlalchemy import select

from siks.audit import record_change, register_entity_scope
from siks.dci import trust
from siks.domain import names
from siks.settings import settings
from siks.store.models.dci import DciPadan
from siks.store.models.usulan import Usulan

TIMEOUT = 10.0
# a padan asked for an usulan is seen in the audit trail by that usulan's wilayah (others: national only)
register_entity_scope(
    "dci_padan",
    lambda: select(DciPadan.id, Usulan.desa_code).join(Usulan, Usulan.id == DciPadan.usulan_id),
)
ENTRY_TIMEOUT = 5.0  # while an operator waits on the usulan form
PENDING = "tertunda"
STATUS_LABEL = {
    "padan": "Padan",
    "tidak_padan": "Tidak padan",
    "tidak_ditemukan": "Tidak ditemukan di Dukcapil",
    PENDING: "Tertunda (registri sipil tidak dapat dihubungi)",
}


class CrvsError(Exception):
    """The registry could not be asked or its answer cannot be trusted (Indonesian message)."""


@dataclass
class PadanResult:
    """`status`: padan | tidak_padan | tidak_ditemukan; `reasons` says which field disagrees."""

    nik: str
    status: str
    reasons: list[str] = field(default_factory=list)
    meninggal: bool = False
    record: dict | None = None

    @property
    def padan(self) -> bool:
        return self.status == "padan"


def normalize_name(name: str | None) -> str:
    """The name as the batch padan compares it (siks.domain.names): 'Drs. Siti  Aminah,S.Pd' →
    'SITI AMINAH'."""
    return names.normalize(name)


SEX = {"male": 1, "m": 1, "1": 1, "female": 2, "f": 2, "2": 2}


def compare(
    nik: str, nama: str, tanggal_lahir: dt.date, jenis_kelamin: int, record: dict | None
) -> PadanResult:
    """The exact-match rule on one CRVS person record (pure)."""
    if record is None:
        return PadanResult(nik, "tidak_ditemukan", [f"NIK {nik} tidak terdaftar di registri sipil."])
    reasons = []
    name = record.get("name") or {}
    crvs_name = " ".join(str(name.get(k) or "") for k in ("given_name", "second_name", "surname")).strip()
    if normalize_name(crvs_name) != normalize_name(nama):
        reasons.append(f"Nama berbeda: tercatat '{nama}', registri sipil '{crvs_name}'.")
    born = str(record.get("birth_date") or "")[:10]
    if born != tanggal_lahir.isoformat():
        reasons.append(
            f"Tanggal lahir berbeda: tercatat {tanggal_lahir.isoformat()}, registri sipil {born or '-'}."
        )
    sex = SEX.get(str(record.get("sex", "")).lower())
    if sex != jenis_kelamin:
        reasons.append("Jenis kelamin berbeda dengan registri sipil.")
    dead = bool(record.get("death_date"))
    if dead:
        reasons.append(f"Registri sipil mencatat meninggal pada {str(record['death_date'])[:10]}.")
    return PadanResult(nik, "padan" if not reasons else "tidak_padan", reasons, dead, record)


class CrvsClient:
    """A connection to one CRVS registry. `key` is siks's signing key; `sender_id` its DCI id there."""

    def __init__(
        self,
        base_url: str,
        *,
        client_id: str,
        client_secret: str,
        key,
        sender_id: str = "siks",
        receiver_id: str = "crvs",
        timeout: float = TIMEOUT,
    ):
        self.base = base_url.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.key = key
        self.sender_id = sender_id
        self.receiver_id = receiver_id
        self.timeout = timeout
        self._token: tuple[str, float] | None = None
        self._jwks: dict | None = None

    # --- transport ------------------------------------------------------------------------------------

    def _send(self, path: str, data: bytes, headers: dict, method: str = "POST") -> dict:
        req = urllib.request.Request(
            self.base + path, data=data if method == "POST" else None, method=method, headers=headers
        )
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # noqa: S310 - configured URL
                return json.loads(resp.read())
        except urllib.error.HTTPError as e:
            try:
                detail = json.loads(e.read()).get("errors", [{}])[0]
            except (ValueError, AttributeError, IndexError):
                detail = {}
            code, why = detail.get("code", ""), detail.get("message", "")
            raise CrvsError(f"Registri sipil menolak permintaan ({e.code} {code}): {why}") from None
        except (OSError, ValueError) as e:
            raise CrvsError(f"Registri sipil tidak dapat dihubungi: {e}") from None

    def token(self) -> str:
        now = dt.datetime.now(dt.UTC).timestamp()
        if self._token and self._token[1] > now + 30:
            return self._token[0]
        form = urllib.parse.urlencode(
            {
                "grant_type": "client_credentials",
                "client_id": self.client_id,
                "client_secret": self.client_secret,
            }
        ).encode()
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "timestamp": dt.datetime.now(dt.UTC).strftime("%a, %d %b %Y %H:%M:%S GMT"),
        }
        body = self._send("/oauth2/client/token", form, headers)
        if "access_token" not in body:
            raise CrvsError("Registri sipil tidak memberi token akses.")
        self._token = (body["access_token"], now + float(body.get("expires_in") or 300))
        return self._token[0]

    def jwks(self) -> dict:
        if self._jwks is None:
            self._jwks = self._send("/.well-known/jwks.json", b"", {}, method="GET")
        return self._jwks

    # --- search ---------------------------------------------------------------------------------------

    def search_message(self, nik: str) -> dict:
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        return {
            "transaction_id": uuid.uuid4().hex[:20],
            "search_request": [
                {
                    "reference_id": uuid.uuid4().hex[:20],
                    "timestamp": now,
                    "search_criteria": {
                        "version": "1.0.0",
                        "reg_type": "ns:org:RegistryType:Civil",
                        "reg_record_type": "Person",
                        "query_type": "idtype-value",
                        "query": {"type": "NIK", "value": nik},
                    },
                }
            ],
        }

    def envelope(self, message: dict) -> dict:
        header = {
            "version": "1.0.0",
            "message_id": uuid.uuid4().hex,
            "message_ts": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "action": "search",
            "sender_id": self.sender_id,
            "receiver_id": self.receiver_id,
            "total_count": len(message["search_request"]),
            "is_msg_encrypted": False,
        }
        return {
            "signature": trust.sign(header, message, self.key, self.sender_id),
            "header": header,
            "message": message,
        }

    def find_person(self, nik: str) -> dict | None:
        """The CRVS person with this NIK, or None; CrvsError when the answer is refused or untrusted."""
        if not re.fullmatch(r"[0-9]{16}", nik or ""):
            raise CrvsError("NIK harus 16 angka.")
        body = self.envelope(self.search_message(nik))
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {self.token()}"}
        answer = self._send("/registry/sync/search", json.dumps(body).encode(), headers)
        header, message = answer.get("header") or {}, answer.get("message")
        if header.get("sender_id") != self.receiver_id:
            raise CrvsError("Jawaban bukan dari registri sipil yang ditanya.")
        try:
            trust.verify(answer.get("signature"), header, message, self.receiver_id, self.jwks())
        except trust.TrustError as e:
            raise CrvsError(f"Tanda tangan jawaban registri sipil tidak sah: {e.message}") from None
        if header.get("status") != "succ" or not isinstance(message, dict):
            raise CrvsError(
                f"Registri sipil menolak: {header.get('status_reason_message', header.get('status'))}"
            )
        (item,) = message.get("search_response") or [{}]
        if item.get("status") != "succ":
            raise CrvsError(
                f"Registri sipil menolak: {item.get('status_reason_message', item.get('status'))}"
            )
        records = (item.get("data") or {}).get("reg_records") or []
        matching = [r for r in records if _nik_of(r) == nik]
        return matching[0] if matching else None

    def padan(self, nik: str, nama: str, tanggal_lahir: dt.date, jenis_kelamin: int) -> PadanResult:
        return compare(nik, nama, tanggal_lahir, jenis_kelamin, self.find_person(nik))


def _nik_of(record: dict) -> str | None:
    ident = record.get("identifier")
    for i in ident if isinstance(ident, list) else [ident] if isinstance(ident, dict) else []:
        if str(i.get("identifier_type", "")).upper() in ("NIK", "UIN"):
            return str(i.get("identifier_value"))
    return None


def configured_client(timeout: float = TIMEOUT) -> CrvsClient | None:
    """The CRVS registry of the settings (`SIKS_DCI_CRVS_*`), or None when online padan is not set up."""
    conf = settings()
    if not conf.dci_crvs_url:
        return None
    return CrvsClient(
        conf.dci_crvs_url,
        client_id=conf.dci_crvs_client_id,
        client_secret=conf.dci_crvs_secret.get_secret_value(),
        key=trust.load_signing_key(),
        sender_id=conf.dci_id,
        receiver_id=conf.dci_crvs_id,
        timeout=timeout,
    )


def _actor_name(actor) -> str:
    return str(getattr(actor, "username", actor))[:100]


def _store(
    session, actor, client_base: str | None, usulan_id, nik, nama, born, sex, status, reasons
) -> DciPadan:
    row = DciPadan(
        usulan_id=usulan_id,
        nik=nik,
        nama=nama,
        tanggal_lahir=born,
        sex=sex,
        status=status,
        reasons=reasons,
        crvs_url=client_base,
        asked_by=_actor_name(actor),
    )
    session.add(row)
    session.flush()
    record_change(
        session,
        actor,
        "dci_padan",
        row.id,
        None,
        {"nik": nik, "status": status, "alasan": reasons, "registri": client_base, "usulan": usulan_id},
        "padan online dengan registri sipil",
        action="dci_padan",
    )
    return row


def padan_online(
    session,
    actor,
    client: CrvsClient,
    nik: str,
    nama: str,
    tanggal_lahir: dt.date,
    jenis_kelamin: int,
    usulan_id: int | None = None,
) -> PadanResult:
    """Ask the CRVS registry about one person; store and audit who asked, about which NIK, the verdict."""
    result = client.padan(nik, nama, tanggal_lahir, jenis_kelamin)
    _store(
        session,
        actor,
        client.base,
        usulan_id,
        nik,
        nama,
        tanggal_lahir,
        jenis_kelamin,
        result.status,
        result.reasons,
    )
    return result


def _people(payload: dict) -> list[dict]:
    """The new people of an usulan baru that carry a NIK (members of a new ruta, or one new anggota)."""
    people = payload.get("members") or ([payload["member"]] if payload.get("member") else [])
    return [p for p in people if isinstance(p, dict) and p.get("nik")]


def _date(value) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def padan_usulan(session, actor, usulan, client: CrvsClient | None) -> list[DciPadan]:
    """Online padan of each new person of an usulan baru, right after it was saved.

    The usulan is saved whatever happens here: when the registry cannot be asked (down, refusing, an
    answer that fails its signature) the person's padan is stored as `tertunda` with the reason, and
    `siks dci padan-tertunda` asks again later; the batch padan of verval still reads the extract."""
    if client is None or usulan.kind != "baru":
        return []
    rows: list[DciPadan] = []
    down: str | None = None  # once the registry is unreachable, the operator is not kept waiting per person
    for person in _people(usulan.payload or {}):
        nik, nama = str(person["nik"]), str(person.get("nama") or "")
        born, sex = _date(person.get("tanggal_lahir")), person.get("sex")
        if down is not None:
            rows.append(_store(session, actor, client.base, usulan.id, nik, nama, born, sex, PENDING, [down]))
            continue
        row = _ask(session, actor, client, usulan.id, nik, nama, born, sex)
        if row.status == PENDING and "tidak dapat dihubungi" in row.reasons[0]:
            down = row.reasons[0]
        rows.append(row)
    return rows


def _ask(session, actor, client: CrvsClient, usulan_id, nik, nama, born, sex) -> DciPadan:
    try:
        if born is None or sex not in (1, 2):
            raise CrvsError("Tanggal lahir dan jenis kelamin wajib untuk padan.")
        result = client.padan(nik, nama, born, int(sex))
        status, reasons = result.status, result.reasons
    except CrvsError as e:
        status, reasons = PENDING, [str(e)]
    return _store(session, actor, client.base, usulan_id, nik, nama, born, sex, status, reasons)


def padan_of(session, usulan_id: int) -> list[DciPadan]:
    """The latest padan of each person of an usulan (a retried `tertunda` is replaced by its answer)."""
    rows = session.scalars(select(DciPadan).where(DciPadan.usulan_id == usulan_id).order_by(DciPadan.id))
    latest = {r.nik: r for r in rows}
    return list(latest.values())


def retry_pending(session, actor, client: CrvsClient) -> list[DciPadan]:
    """Ask again for every person whose latest padan is still `tertunda`."""
    latest: dict[tuple[int | None, str], DciPadan] = {}
    for r in session.scalars(select(DciPadan).order_by(DciPadan.id)):
        latest[(r.usulan_id, r.nik)] = r
    return [
        _ask(session, actor, client, r.usulan_id, r.nik, r.nama, r.tanggal_lahir, r.sex)
        for r in latest.values()
        if r.status == PENDING
    ]


@dataclass(frozen=True, slots=True)
class PadanView:
    """One padan as a page or the API shows it; `nik` as the viewer may see it."""

    nik: str
    nama: str
    status: str
    status_label: str
    reasons: list[str]
    asked_at: dt.datetime


def padan_views(rows: list[DciPadan], show_nik) -> list[PadanView]:
    """`show_nik(nik)` masks a NIK for the viewer; the NIK is masked in the reasons too."""
    out = []
    for r in rows:
        shown = show_nik(r.nik)
        reasons = [reason.replace(r.nik, shown) for reason in r.reasons or []]
        out.append(PadanView(shown, r.nama, r.status, STATUS_LABEL[r.status], reasons, r.asked_at))
    return out
