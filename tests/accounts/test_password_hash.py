"""Passwords are stored as argon2id at no less than OWASP's recommended cost, and old hashes keep working."""

from __future__ import annotations

import re

import pytest
from argon2 import PasswordHasher

from siks.accounts import service as accounts
from siks.accounts.service import hash_password, verify_password


@pytest.fixture(autouse=True)
def _production_hasher(monkeypatch):
    """Other modules swap in a cheap hasher for the whole worker session; this one checks the real one."""
    monkeypatch.setattr(accounts, "_hasher", accounts.production_hasher())


def test_hash_is_argon2id_at_owasp_cost():
    stored = hash_password("kata-sandi-uji")
    m = re.match(r"\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$", stored)
    assert m, stored
    memory_kib, passes, lanes = map(int, m.groups())
    assert memory_kib >= 19 * 1024 and passes >= 2 and lanes >= 1
    assert "kata-sandi-uji" not in stored


def test_verify_accepts_right_refuses_wrong_and_reads_older_parameters():
    stored = hash_password("kata-sandi-uji")
    assert verify_password(stored, "kata-sandi-uji")
    assert not verify_password(stored, "kata-sandi-salah")
    older = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4).hash("sandi-lama-123")
    assert verify_password(older, "sandi-lama-123")
    assert not verify_password("bukan-hash", "apa-saja")
