"""The example requests of docs/dci.md follow the spec, and the page names what the code accepts."""

from __future__ import annotations

import json
import re
from pathlib import Path

from siks.dci.query import attributes
from siks.dci.records import FIELDS

DOC = Path(__file__).resolve().parents[2] / "docs" / "dci.md"
EXAMPLE = re.compile(r"<!-- dci-contoh: (\S+) -->\n```json\n(.*?)\n```", re.S)
ANSWER = re.compile(r"<!-- dci-jawaban: (\S+) -->\n```json\n(.*?)\n```", re.S)


def test_examples_are_valid_requests(social_spec):
    examples = EXAMPLE.findall(DOC.read_text())
    assert len(examples) == 4
    for path, text in examples:
        social_spec.check_request(path, json.loads(text), headers={"Authorization": "Bearer contoh"})


def test_example_responses_are_valid_answers(social_spec):
    """One answer per query type (idtype-value, predicate, expression), checked as the spec's response."""
    answers = ANSWER.findall(DOC.read_text())
    assert len(answers) == 3
    request = json.loads(EXAMPLE.findall(DOC.read_text())[0][1])
    kinds = []
    for path, text in answers:
        body = json.loads(text)
        social_spec.check_response(path, request, 200, body, headers={"Authorization": "Bearer contoh"})
        kinds.append(body["message"]["search_response"][0]["data"]["reg_record_type"])
    assert kinds == ["Group", "Member", "Group"]


def test_every_field_and_attribute_is_documented():
    text = DOC.read_text()
    assert all(f"`{name}`" in text for name in FIELDS)
    assert all(f"| `{name}` |" in text for name in attributes(None))
