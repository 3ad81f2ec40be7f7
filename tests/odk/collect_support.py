"""ODK Collect in a test: its requests (headers, Digest, multipart) and the instance it writes when a
form is finished offline.

Fill a downloaded XForm's instance the way ODK Collect writes a finished form (offline, on the phone)."""

from __future__ import annotations

import copy
import hashlib
import re
import secrets
import uuid
import xml.etree.ElementTree as ET
from typing import Any

XF = "{http://www.w3.org/2002/xforms}"
JR_TEMPLATE = "{http://openrosa.org/javarosa}template"

COLLECT_HEADERS = {
    "User-Agent": "Dalvik/2.1.0 (Linux; U; Android 11; SM-A125F Build/RP1A.200720.012) "
    "org.odk.collect.android/v2024.2.4",
    "X-OpenRosa-Version": "1.0",
    "Accept-Encoding": "gzip,deflate",
}
# A real (tiny) JPEG: SOI, APP0/JFIF, ... EOI, as a phone camera would send (just much smaller).
JPEG = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c140d0c0b0b0c1912130f14"
    "1d1a1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e333432ffc0000b080001000101011100"
    "ffc4001f0000010501010101010100000000000000000102030405060708090a0bffc400b5100002010303020403050504040000"
    "017d01020300041105122131410613516107227114328191a1082342b1c11552d1f02433627282090a161718191a25262728292a"
    "3435363738393a434445464748494a535455565758595a636465666768696a737475767778797a838485868788898a9293949596"
    "9798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2"
    "f3f4f5f6f7f8f9faffda0008010100003f00fbd3ffd9"
)


class Collect:
    """Requests shaped as ODK Collect sends them; answers a Digest challenge like Collect's HTTP stack.

    The Digest response is computed here, from RFC 7616, independently of siks.odk.digest.
    """

    def __init__(self, client: Any, username: str, password: str) -> None:
        self.client, self.username, self.password = client, username, password
        self.challenges = 0

    def _authorization(self, method: str, url: str, challenge: str) -> str:
        params = dict(re.findall(r'(\w+)="?([^",]+)"?', challenge.split(" ", 1)[1]))
        uri = url if url.startswith("/") else "/" + url.split("/", 3)[3]
        cnonce, nc = secrets.token_hex(8), "00000001"
        ha1 = hashlib.md5(f"{self.username}:{params['realm']}:{self.password}".encode()).hexdigest()
        ha2 = hashlib.md5(f"{method}:{uri}".encode()).hexdigest()
        response = hashlib.md5(f"{ha1}:{params['nonce']}:{nc}:{cnonce}:auth:{ha2}".encode()).hexdigest()
        return (
            f'Digest username="{self.username}", realm="{params["realm"]}", nonce="{params["nonce"]}", '
            f'uri="{uri}", response="{response}", qop=auth, nc={nc}, cnonce="{cnonce}", algorithm=MD5'
        )

    def request(self, method: str, url: str, **kw):
        headers = COLLECT_HEADERS | kw.pop("headers", {})
        r = self.client.request(method, url, headers=headers, **kw)
        if r.status_code != 401:
            return r
        self.challenges += 1
        auth = self._authorization(method, url, r.headers["www-authenticate"])
        return self.client.request(method, url, headers=headers | {"Authorization": auth}, **kw)

    def get(self, url: str, **kw):
        return self.request("GET", url, **kw)

    def submit(self, xml: bytes, *attachments: tuple[str, bytes, str]):
        """HEAD first (as Collect does), then the multipart POST: xml_submission_file and the files."""
        head = self.request("HEAD", "/odk/submission")
        assert head.status_code == 204, head.text
        files = [("xml_submission_file", ("submission.xml", xml, "text/xml"))]
        files += [(name, (name, content, ctype)) for name, content, ctype in attachments]
        return self.request("POST", "/odk/submission", files=files)


def _strip(el: ET.Element) -> None:
    """Collect sends the instance without the XForms default namespace."""
    el.tag = el.tag.split("}", 1)[-1]
    for c in el:
        _strip(c)


def instance(
    form_xml: str,
    values: dict,
    repeats: list[dict] | None = None,
    *,
    instance_id: str | None = None,
    deprecated_id: str | None = None,
    version: str | None = None,
) -> tuple[bytes, str]:
    """(submission XML, instanceID) for a form: `values` fill leaves by name (in groups too), `repeats` the
    `anggota` repeat, one dict each."""
    root = ET.fromstring(form_xml)
    data = root.find(f".//{XF}model/{XF}instance/*")
    data = copy.deepcopy(data)
    _strip(data)
    template = next(c for c in data if c.tag == "anggota" and c.get(JR_TEMPLATE) is not None)
    position = list(data).index(template)
    for c in [c for c in data if c.tag == "anggota"]:
        data.remove(c)
    for i, rep in enumerate(repeats or []):
        item = copy.deepcopy(template)
        item.attrib.pop(JR_TEMPLATE, None)
        for leaf in item.iter():
            if leaf.tag in rep:
                leaf.text = str(rep[leaf.tag])
        data.insert(position + i, item)
    for leaf in data.iter():
        if leaf.tag in values and len(leaf) == 0:
            leaf.text = str(values[leaf.tag])
    iid = instance_id or f"uuid:{uuid.uuid4()}"
    meta = data.find("meta")
    meta.find("instanceID").text = iid
    if deprecated_id:
        ET.SubElement(meta, "deprecatedID").text = deprecated_id
    if version:
        data.set("version", version)
    data.set("xmlns:jr", "http://openrosa.org/javarosa")
    data.set("xmlns:orx", "http://openrosa.org/xforms")
    body = ET.tostring(data, encoding="unicode")
    return ("<?xml version='1.0' encoding='UTF-8' ?>" + body).encode(), iid
