"""Which cached lookup answers a write makes stale (plugin_utils/cache_keys.py), and the
store forgetting them, flights included (cache_store.Store.invalidate)."""

from __future__ import annotations

import pytest

from ansible_collections.keel.ssm.plugins.plugin_utils.cache_keys import is_stale, name_key, path_key
from ansible_collections.keel.ssm.plugins.plugin_utils.cache_store import Store

ID = "identity"


@pytest.mark.parametrize(
    ("key", "stale"),
    [
        (name_key(ID, True, "/app/db"), True),
        (name_key("other-region", False, "/app/db", ttl=60), True),  # any identity, decrypt, ttl
        (name_key(ID, True, "/app/db:3"), True),  # a version of it
        (name_key(ID, True, "/app/db:live"), True),  # a label on it
        (name_key(ID, True, "/app/dbx"), False),
        (name_key(ID, True, "/app"), False),
        (path_key(ID, True, False, "/app"), True),  # one level: holds /app/db
        (path_key(ID, True, False, "/app/"), True),
        (path_key(ID, True, True, "/"), True),
        (path_key(ID, True, False, "/"), False),  # only top-level names
        (path_key(ID, True, True, "/ap"), False),
        (path_key(ID, True, False, "/app/db"), False),  # what is below it, not itself
        (path_key(ID, True, True, "/other"), False),
    ],
)
def test_a_written_name_makes_its_own_reads_and_the_paths_holding_it_stale(key, stale):
    assert is_stale(key, names={"/app/db"}) is stale


@pytest.mark.parametrize(
    ("key", "stale"),
    [
        (name_key(ID, True, "/app/prod/db"), True),
        (name_key(ID, True, "/app/prod"), True),
        (name_key(ID, True, "/app/production"), False),
        (path_key(ID, True, True, "/app"), True),  # holds the subtree
        (path_key(ID, True, False, "/app"), True),  # may hold /app/prod itself
        (path_key(ID, True, False, "/"), False),
        (path_key(ID, True, False, "/app/prod/db"), True),  # inside the subtree
        (path_key(ID, True, True, "/app/other"), False),
    ],
)
def test_a_written_subtree_makes_every_overlapping_read_stale(key, stale):
    assert is_stale(key, subtrees=["/app/prod"]) is stale


def test_invalidate_drops_values_and_flights_so_waiters_refetch():
    store = Store()
    value, flight, kept = name_key(ID, True, "/a"), name_key(ID, True, "/b"), name_key(ID, True, "/c")
    store.claim([value, kept], "first")
    store.put("first", {value: {"s": "found", "v": "old"}, kept: {"s": "found", "v": "c"}})
    store.claim([flight], "leader")
    assert store.claim([flight], "waiter") == ({}, [], [flight])

    assert store.invalidate(lambda key: is_stale(key, names={"/a", "/b"})) == 2
    store.put("leader", {flight: {"s": "found", "v": "fetched before the write"}})  # ignored
    hits, lead, pending = store.claim([value, flight, kept], "reader")
    assert hits == {kept: {"s": "found", "v": "c"}} and lead == [value, flight] and pending == []
