"""The customer taxes of the sale lines syncline creates, as Tryton itself computes them.

Creating a ``sale.line`` over RPC runs none of the client's on_change calls, so its ``taxes``
stay empty and the ERP would invoice the order without VAT. Tryton gives a line the product's
customer taxes mapped through the party's customer tax rule, and a line without product the
taxes of the company's default revenue account, if one is configured
(``sale.line.on_change_product``, which is callable over RPC); syncline asks that very method,
once per product and tax rule in a write batch, instead of re-implementing tax rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from syncline.connectors.tryton.client import TrytonClient
from syncline.connectors.tryton.mapping import ref_id
from syncline.errors import PermanentError

#: A sale line's (product id or None for a line without product, customer party id).
ProductParty = tuple[int | None, int]


def tax_ids(changes: Any) -> list[int] | None:
    """The tax ids in the changes an on_change reply carries; None when the reply is no
    changes at all. An on_change answers only what changed: no ``taxes`` in it means the
    empty list sent stays empty (a tax-free product, or no default revenue account).

    Tryton sends a Many2Many of a new record as ``{"add": [[index, {"id": ...}], ...]}``.
    """
    if not isinstance(changes, dict):
        return None
    value = changes.get("taxes") or []
    if isinstance(value, dict):
        return sorted({int(added["id"]) for _, added in value.get("add") or []})
    return sorted({int(i) for i in value or []})


def customer_taxes(
    client: TrytonClient, lines: Iterable[ProductParty]
) -> dict[ProductParty, list[int]]:
    """The tax ids Tryton gives a sale line of each (product, party) in ``lines``.

    One read of the parties' tax rules, then one ``on_change_product`` call per product and
    tax rule: parties sharing a rule (or having none) share the answer.
    """
    wanted = set(lines)
    if not wanted:
        return {}
    parties = sorted({party for _, party in wanted})
    rules = {
        int(r["id"]): ref_id(r.get("customer_tax_rule"))
        for r in client.read(
            "party.party", parties, ["customer_tax_rule"], context={"active_test": False}
        )
    }
    asked: dict[tuple[int | None, int | None], list[int]] = {}
    found: dict[ProductParty, list[int]] = {}
    for product, party in sorted(wanted, key=lambda pp: (pp[0] or 0, pp[1])):
        key = (product, rules.get(party))
        if key not in asked:
            asked[key] = _ask(client, product, party)
        found[(product, party)] = asked[key]
    return found


def _ask(client: TrytonClient, product: int | None, party: int) -> list[int]:
    """The taxes ``sale.line.on_change_product`` sets for ``product`` sold to ``party``."""
    changes = client.model(
        "sale.line",
        "on_change_product",
        {
            "type": "line",
            "product": product,
            "quantity": 1.0,
            "unit": None,
            "taxes": [],
            # The sale's company: Tryton reads the party's tax rule for it.
            "_parent_sale.company": client.context.get("company"),
            "_parent_sale.party": party,
            "_parent_sale.invoice_party": None,
        },
    )
    taxes = tax_ids(changes)
    if taxes is None:
        raise PermanentError(
            f"Tryton answered no changes when asked the taxes of product {product}: "
            f"{str(changes)[:200]}",
            system=client.system,
            field="product_id",
        )
    return taxes


__all__ = ["ProductParty", "customer_taxes", "tax_ids"]
