"""The loose comparison in Python and in the database agree (``connectors.sql.lookup``).

The connector loosens the values asked for in Python and the column in SQL: wherever the two
differ, a row is missed and its record created a second time. Each property runs on SQLite
and on PostgreSQL, against :func:`loosen` and :func:`json.loads` as the oracle.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import (
    Column,
    Engine,
    Integer,
    MetaData,
    Table,
    Text,
    create_engine,
    delete,
    insert,
    select,
)

from syncline.connectors.sql.lookup import (
    DROPPED,
    SPACES,
    add_loosen_function,
    loose,
    loose_match,
    loosen,
)

_samples = Table(
    "samples",
    MetaData(),
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("text", Text),
)

#: Letters both databases fold as Python does (every cased letter of these scripts is checked
#: one by one in test_loose_lookup), digits, and what JSON text must escape.
_LETTERS = "aAzZ09äÄöÖüÜßẞøØåÅæÆœŒİıſﬁǅΣσςΆάΌΏΐЖжЁёԱա@_%\"\\'\x01\x1f\x7f\u00ad\U0001f600"
_CHARS = st.sampled_from(_LETTERS + DROPPED)
_TEXTS = st.text(_CHARS, max_size=12)


@pytest.fixture
def samples(legacy_url: str) -> Iterator[Engine]:
    """An engine on the database with an empty ``samples`` table (id, text)."""
    url = legacy_url.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = create_engine(url)
    add_loosen_function(engine)
    _samples.create(engine)
    yield engine
    engine.dispose()


def _store(engine: Engine, texts: list[str]) -> None:
    with engine.begin() as conn:
        conn.execute(delete(_samples))
        if texts:
            conn.execute(insert(_samples), [{"id": i, "text": t} for i, t in enumerate(texts)])


def test_spaces_are_every_white_space_python_knows() -> None:
    every = {ch for ch in map(chr, range(sys.maxunicode + 1)) if ch.isspace()}
    assert set(SPACES) == every
    assert "\u00a0" in SPACES and "\u202f" in SPACES and "\t" in SPACES


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(_TEXTS, min_size=1, max_size=20))
def test_the_database_loosens_as_python_does_and_keeps_no_white_space(
    samples: Engine, texts: list[str]
) -> None:
    _store(samples, texts)
    with samples.connect() as conn:
        rows = conn.execute(select(_samples.c.text, loose(_samples.c.text))).all()
    assert {text: got for text, got in rows if got != loosen(text)} == {}
    assert [t for t in texts if any(ch.isspace() for ch in loosen(t))] == []


def _escaped_upper(items: list[str]) -> str:
    """JSON text of ``items`` with everything beyond printable ASCII as upper-case escapes."""

    def escape(ch: str) -> str:
        if ch in '"\\':
            return "\\" + ch
        if " " <= ch <= "~":
            return ch
        units = ch.encode("utf-16-be")
        return "".join(f"\\u{units[i : i + 2].hex().upper()}" for i in range(0, len(units), 2))

    return "[" + ", ".join('"' + "".join(map(escape, i)) + '"' for i in items) + "]"


#: The ways a program writes a JSON list: json.dumps() escaping all beyond ASCII or nothing,
#: pretty-printed, orjson (as the connector does), upper-case escapes.
_WRITERS: list[Callable[[list[str]], str]] = [
    json.dumps,
    lambda items: json.dumps(items, ensure_ascii=False),
    lambda items: json.dumps(items, indent="\t", separators=(" ,", ":")),
    lambda items: orjson.dumps(items).decode(),
    _escaped_upper,
]


def _respelled(draw: st.DrawFn, text: str) -> str:
    """``text`` in another case, with white space or dropped characters put in."""
    text = draw(st.sampled_from([str.upper, str.lower, str.casefold, str.title]))(text)
    at = draw(st.integers(0, len(text)))
    return text[:at] + draw(st.text(st.sampled_from(DROPPED), max_size=2)) + text[at:]


@st.composite
def _lists_and_asked(draw: st.DrawFn) -> tuple[list[str], list[str]]:
    """JSON lists as various programs write them, and values to ask for: mostly items of
    theirs, respelled, some of them made up."""
    lists = draw(st.lists(st.lists(_TEXTS, max_size=3), min_size=1, max_size=6))
    texts = [draw(st.sampled_from(_WRITERS))(items) for items in lists]
    items = [item for items in lists for item in items]
    known = st.sampled_from(items) if items else _TEXTS
    asked = draw(st.lists(known | _TEXTS, min_size=1, max_size=4))
    return texts, [_respelled(draw, a) for a in asked]


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=_lists_and_asked())
def test_an_item_is_found_however_its_json_list_is_written(
    samples: Engine, case: tuple[list[str], list[str]]
) -> None:
    texts, asked = case
    _store(samples, texts)
    condition = loose_match(_samples.c.text, asked, text_list=True)
    found: set[int] = set()
    if condition is not None:
        with samples.connect() as conn:
            found = set(conn.execute(select(_samples.c.id).where(condition)).scalars())
    wanted = {loosen(a) for a in asked} - {""}
    holding = {i for i, t in enumerate(texts) if wanted & {loosen(x) for x in json.loads(t)}}
    assert found == holding, [texts[i] for i in found ^ holding]
