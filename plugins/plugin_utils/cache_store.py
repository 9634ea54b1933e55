# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""In-memory values by key, with single-flight fetching.

A claimer asks for keys and gets back the values already held (hits), the keys it
must fetch itself (lead) and the keys someone else is fetching right now (pending).
It fetches what it leads, puts the outcomes (or reports the failure), and only then
waits for the pending keys. Because a waiter never holds a lead, waits cannot form a
cycle. When a leader goes away without answering, its keys are free again and the
next waiter leads them; when a leader reports a failure, everyone waiting on that
flight gets the failure, and the next claim starts a new flight.

Standard library only: the cache broker runs this module's sibling as a script.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable, Dict, Iterable, List, Tuple

READY = "ready"
FLIGHT = "flight"
FAILED = "failed"
# How long a failed flight stays visible to the claimers that were waiting on it.
FAILURE_GRACE = 60.0


# (hits: {key: outcome}, lead: [key], pending: [key])
Claim = Tuple[Dict[str, Any], List[str], List[str]]


class _Entry:
    __slots__ = ("expires", "outcome", "owner", "state")

    def __init__(self, state, owner=None, outcome=None, expires=None):
        self.state = state
        self.owner = owner
        self.outcome = outcome
        self.expires = expires


class Store:
    """Thread-safe. `owner` is any hashable naming one claimer (a connection)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._entries = {}
        self._cond = threading.Condition()

    def _usable(self, entry):
        return entry is not None and (entry.expires is None or self._clock() < entry.expires)

    def _sort(self, keys, owner, hits, lead, pending, failures_count):
        """Classify keys under the lock; free keys become `owner`'s leads."""
        for key in keys:
            entry = self._entries.get(key)
            if entry is not None and entry.state == READY and self._usable(entry):
                hits[key] = entry.outcome
            elif entry is not None and entry.state == FLIGHT and entry.owner != owner:
                pending.append(key)
            elif entry is not None and entry.state == FAILED and failures_count:
                hits[key] = entry.outcome
            else:
                self._entries[key] = _Entry(FLIGHT, owner=owner)
                lead.append(key)

    def claim(self, keys: Iterable[str], owner: Any) -> Claim:
        """-> (hits: {key: outcome}, lead: [key], pending: [key]). Never blocks."""
        hits, lead, pending = {}, [], []
        with self._cond:
            self._sort(dict.fromkeys(keys), owner, hits, lead, pending, failures_count=False)
        return hits, lead, pending

    def wait(self, keys: Iterable[str], owner: Any, timeout: float) -> Claim:
        """Block until no key is pending, or until timeout. Same result shape as claim();
        a key whose flight failed while we waited comes back as a hit with its failure."""
        deadline = self._clock() + timeout
        with self._cond:
            while True:
                hits, lead, pending = {}, [], []
                self._sort(dict.fromkeys(keys), owner, hits, lead, pending, failures_count=True)
                remaining = deadline - self._clock()
                if not pending or remaining <= 0:
                    return hits, lead, pending
                self._cond.wait(min(remaining, 1.0))

    def put(self, owner: Any, outcomes: dict[str, Any], ttl: float | None = None) -> None:
        """Store outcomes for keys `owner` leads; ttl (seconds) bounds reuse, None = no bound."""
        expires = None if not ttl else self._clock() + ttl
        with self._cond:
            for key, outcome in outcomes.items():
                entry = self._entries.get(key)
                if entry is not None and entry.state == FLIGHT and entry.owner == owner:
                    self._entries[key] = _Entry(READY, outcome=outcome, expires=expires)
            self._cond.notify_all()

    def fail(self, owner: Any, keys: Iterable[str], outcome: Any) -> None:
        """The flights `owner` led for keys failed: waiters get `outcome`, later claims retry."""
        with self._cond:
            for key in keys:
                entry = self._entries.get(key)
                if entry is not None and entry.state == FLIGHT and entry.owner == owner:
                    self._entries[key] = _Entry(FAILED, outcome=outcome, expires=self._clock() + FAILURE_GRACE)
            self._cond.notify_all()

    def invalidate(self, stale: Callable[[str], bool]) -> int:
        """Forget every key for which stale(key) is true, values and flights alike: a
        flight's late put() is then ignored and its waiters lead a fresh fetch.
        Returns how many keys were dropped."""
        with self._cond:
            dropped = [key for key in self._entries if stale(key)]
            for key in dropped:
                del self._entries[key]
            self._cond.notify_all()
        return len(dropped)

    def release(self, owner: Any) -> None:
        """`owner` went away: keys it was still fetching are free for the next waiter."""
        with self._cond:
            for key in [k for k, e in self._entries.items() if e.state == FLIGHT and e.owner == owner]:
                del self._entries[key]
            self._cond.notify_all()

    def expire(self) -> int:
        """Drop expired values and settled failures; returns how many values or flights remain."""
        with self._cond:
            for key in [k for k, e in self._entries.items() if e.state != FLIGHT and not self._usable(e)]:
                del self._entries[key]
            return sum(1 for e in self._entries.values() if e.state != FAILED)

    def __len__(self):
        with self._cond:
            return sum(1 for e in self._entries.values() if e.state == READY)
