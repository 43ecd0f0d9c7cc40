"""The in-memory cache of live answers: fresh within its time to live, fetched again after,
the old answer served as stale (with its time) when the system fails, bounded in age."""

from __future__ import annotations

import pytest

from syncline.errors import PermanentError, TransientError
from syncline.web.live import LiveCache


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Source:
    """Answers 1, 2, 3, ... or raises ``failure`` when set; counts the calls."""

    def __init__(self) -> None:
        self.calls = 0
        self.failure: Exception | None = None

    def __call__(self) -> int:
        if self.failure is not None:
            raise self.failure
        self.calls += 1
        return self.calls


def test_a_fresh_answer_is_served_without_asking_again() -> None:
    clock, source = Clock(), Source()
    cache = LiveCache(ttl=60, clock=clock)
    first = cache.get(("erp", "x"), source)
    clock.now += 59
    again = cache.get(("erp", "x"), source)
    assert (first.value, again.value, source.calls) == (1, 1, 1)
    assert again.fetched_at == first.fetched_at and not again.stale
    assert cache.get(("erp", "y"), source).value == 2, "keys are separate"


def test_an_expired_answer_is_fetched_again() -> None:
    clock, source = Clock(), Source()
    cache = LiveCache(ttl=60, clock=clock)
    first = cache.get(("erp", "x"), source)
    clock.now += 61
    second = cache.get(("erp", "x"), source)
    assert second.value == 2 and second.fetched_at >= first.fetched_at and not second.stale


def test_a_failing_system_gets_its_last_answer_served_as_stale() -> None:
    clock, source = Clock(), Source()
    cache = LiveCache(ttl=60, clock=clock)
    first = cache.get(("erp", "x"), source)
    clock.now += 3600
    source.failure = TransientError("cannot reach Tryton", system="erp")
    stale = cache.get(("erp", "x"), source)
    assert stale.value == 1 and stale.stale
    assert stale.fetched_at == first.fetched_at
    assert stale.error is not None and "cannot reach Tryton" in stale.error
    source.failure = None
    assert cache.get(("erp", "x"), source).value == 2, "recovers on the next call"


def test_without_an_earlier_answer_the_error_is_raised() -> None:
    source = Source()
    source.failure = PermanentError("refused", system="erp")
    with pytest.raises(PermanentError):
        LiveCache(clock=Clock()).get(("erp", "x"), source)


def test_old_entries_are_dropped_and_forget_clears_one_system() -> None:
    clock, source = Clock(), Source()
    cache = LiveCache(ttl=10, keep=100, clock=clock)
    cache.get(("erp", "x"), source)
    cache.get(("crm", "y"), source)
    cache.forget("erp")
    assert cache.get(("erp", "x"), source).value == 3, "forgotten: fetched again"
    assert cache.get(("crm", "y"), source).value == 2, "the other system's entry stays"
    clock.now += 500
    source.failure = TransientError("down", system="erp")
    with pytest.raises(TransientError):
        cache.get(("erp", "x"), source)  # older than ttl + keep: nothing to serve
