"""Parsing many records at once gives, item by item, what parsing each alone gives."""

from __future__ import annotations

from typing import Any, Self

from hypothesis import given
from hypothesis import strategies as st

from syncline.model import Contact, EntityValidationError, Party

# party input, valid or not: blank names, bad e-mails, unknown fields, wrong types
ITEMS = st.fixed_dictionaries(
    {"name": st.sampled_from(["Acme", "  Fjord Fisk AS ", "", "   "])},
    optional={
        "emails": st.lists(st.sampled_from(["info@acme.example", "B.c@Example.org", "x@"])),
        "roles": st.lists(st.sampled_from(["debtor", "customer", "boss"]), max_size=3),
        "active": st.sampled_from([True, False, "yes", "maybe"]),
        "vat_id": st.none() | st.text(max_size=5),
        "colour": st.just("red"),
    },
)


def _one_by_one(items: list[dict[str, Any]]) -> list[Party | str]:
    results: list[Party | str] = []
    for item in items:
        try:
            results.append(Party.parse(item))
        except EntityValidationError as exc:
            results.append(f"error: {exc}")
    return results


@given(st.lists(ITEMS, max_size=6))
def test_parse_many_is_parse_of_each_item(items: list[dict[str, Any]]) -> None:
    parsed = Party.parse_many(items)
    shown = [f"error: {p}" if isinstance(p, EntityValidationError) else p for p in parsed]
    assert shown == _one_by_one(items)
    assert all(isinstance(p, Party | EntityValidationError) for p in parsed)


def test_an_error_names_its_item_as_parse_does() -> None:
    parsed = Party.parse_many([{"name": "Acme"}, {"name": " "}, {"name": "Fisk", "active": "x"}])
    assert isinstance(parsed[0], Party) and parsed[0].name == "Acme"
    assert isinstance(parsed[1], EntityValidationError)
    assert [p[0] for p in parsed[1].problems] == ["name"]
    assert isinstance(parsed[2], EntityValidationError)
    assert [p[0] for p in parsed[2].problems] == ["active"]


class _Shouting(Contact):
    """An entity whose parse normalises its input first."""

    @classmethod
    def parse(cls, data: dict[str, Any]) -> Self:
        return super().parse({**data, "last_name": str(data.get("last_name", "")).upper()})


def test_a_parse_of_its_own_is_kept() -> None:
    parsed = _Shouting.parse_many([{"last_name": "smith"}, {"last_name": ""}])
    assert isinstance(parsed[0], _Shouting) and parsed[0].last_name == "SMITH"
    assert isinstance(parsed[1], EntityValidationError)
