"""Single-flight semantics of plugin_utils/cache_store.py: one claimer leads each key,
the others wait for its outcome, failures reach the waiters, leases of vanished
claimers are handed on, and values expire only when a TTL is given."""

from __future__ import annotations

import threading
import time

from ansible_collections.keel.ssm.plugins.plugin_utils.cache_store import FAILURE_GRACE, Store


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_first_claimer_leads_the_rest_wait_then_hit():
    store = Store()
    assert store.claim(["a", "b"], "w1") == ({}, ["a", "b"], [])
    assert store.claim(["b", "c"], "w2") == ({}, ["c"], ["b"])
    store.put("w1", {"a": {"v": 1}, "b": {"v": 2}})
    assert store.wait(["b"], "w2", timeout=1) == ({"b": {"v": 2}}, [], [])
    assert store.claim(["a", "b"], "w3") == ({"a": {"v": 1}, "b": {"v": 2}}, [], [])


def test_duplicate_keys_are_claimed_once():
    store = Store()
    assert store.claim(["a", "a"], "w1") == ({}, ["a"], [])


def test_only_the_leader_can_put():
    store = Store()
    store.claim(["a"], "w1")
    store.put("w2", {"a": {"v": "forged"}})
    assert store.claim(["a"], "w3") == ({}, [], ["a"])
    assert len(store) == 0


def test_a_failed_flight_reaches_waiters_and_the_next_claim_retries():
    store = Store()
    store.claim(["a"], "w1")
    assert store.claim(["a"], "w2")[2] == ["a"]
    failure = {"s": "error", "m": "GetParameters a: throttled"}
    store.fail("w1", ["a"], failure)
    assert store.wait(["a"], "w2", timeout=1) == ({"a": failure}, [], [])
    assert store.claim(["a"], "w3") == ({}, ["a"], [])


def test_a_vanished_leader_hands_its_keys_to_a_waiter():
    store = Store()
    store.claim(["a", "b"], "w1")
    store.claim(["a"], "w2")
    store.release("w1")
    assert store.wait(["a"], "w2", timeout=1) == ({}, ["a"], [])
    assert store.claim(["b"], "w3") == ({}, ["b"], [])


def test_wait_gives_up_after_its_timeout():
    store = Store()
    store.claim(["a"], "w1")
    started = time.monotonic()
    assert store.wait(["a"], "w2", timeout=0.2) == ({}, [], ["a"])
    assert 0.15 < time.monotonic() - started < 2


def test_values_without_ttl_never_expire_and_with_ttl_do():
    clock = FakeClock()
    store = Store(clock=clock)
    store.claim(["run", "ttl"], "w1")
    store.put("w1", {"run": 1})
    store.put("w1", {"ttl": 2}, ttl=30)
    clock.now += 29
    assert store.claim(["run", "ttl"], "w2") == ({"run": 1, "ttl": 2}, [], [])
    clock.now += 2
    assert store.claim(["run", "ttl"], "w2") == ({"run": 1}, ["ttl"], [])


def test_expire_drops_stale_values_and_settled_failures():
    clock = FakeClock()
    store = Store(clock=clock)
    store.claim(["a", "b", "c"], "w1")
    store.put("w1", {"a": 1}, ttl=5)
    store.fail("w1", ["b"], {"s": "error"})
    assert store.expire() == 2  # a (value) and c (still in flight)
    clock.now += FAILURE_GRACE + 1
    store.release("w1")
    assert store.expire() == 0


def test_concurrent_claimers_fetch_each_key_once():
    store = Store()
    fetches = []
    lock = threading.Lock()
    results = {}

    def worker(owner):
        keys = [f"k{i}" for i in range(25)]
        hits, lead, pending = store.claim(keys, owner)
        if lead:
            with lock:
                fetches.extend(lead)
            time.sleep(0.05)
            store.put(owner, {key: key.upper() for key in lead})
            hits.update({key: key.upper() for key in lead})
        if pending:
            more, lead, pending = store.wait(pending, owner, timeout=5)
            assert not lead and not pending
            hits.update(more)
        results[owner] = hits

    threads = [threading.Thread(target=worker, args=(f"w{n}",)) for n in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(fetches) == sorted(f"k{i}" for i in range(25))
    assert all(len(hits) == 25 and hits["k3"] == "K3" for hits in results.values())
