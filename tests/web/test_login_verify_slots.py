"""Password checks run one at a time per process (argon2 takes every core): a burst of logins queues."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from siks.accounts import service as accounts


class _SlowHasher:
    def __init__(self):
        self.running = 0
        self.most = 0
        self.lock = threading.Lock()

    def verify(self, password_hash: str, password: str) -> bool:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        time.sleep(0.02)
        with self.lock:
            self.running -= 1
        return password == "benar"


def test_verifications_do_not_overlap(monkeypatch):
    fake = _SlowHasher()
    monkeypatch.setattr(accounts, "_hasher", fake)
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(
            pool.map(lambda i: accounts.verify_password("h", "benar" if i % 2 else "salah"), range(12))
        )
    assert results == [bool(i % 2) for i in range(12)]
    assert fake.most == 1


def test_a_bad_hash_still_frees_the_slot():
    assert accounts.verify_password("bukan-hash-argon2", "x") is False
    assert accounts.verify_password("bukan-hash-argon2", "x") is False  # would block forever if not released
