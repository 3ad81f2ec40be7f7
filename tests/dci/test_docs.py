"""The example requests of docs/dci.md follow the spec, and the page names what the code accepts."""

from __future__ import annotations

import json
import re
from pathlib import Path

from siks.dci.query import attributes
from siks.dci.records import FIELDS

DOC = Path(__file__).resolve().parents[2] / "docs" / "dci.md"
EXAMPLE = re.compile(r"<!-- dci-contoh: (\S+) -->\n```json\n(.*?)\n```", re.S)


def test_examples_are_valid_requests(social_spec):
    examples = EXAMPLE.findall(DOC.read_text())
    assert len(examples) == 4
    for path, text in examples:
        social_spec.check_request(path, json.loads(text), headers={"Authorization": "Bearer contoh"})


def test_every_field_and_attribute_is_documented():
    text = DOC.read_text()
    assert all(f"`{name}`" in text for name in FIELDS)
    assert all(f"| `{name}` |" in text for name in attributes(None))
