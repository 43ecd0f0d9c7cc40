"""Seed the demo company into a Tryton database. Runs inside Tryton's own virtual environment.

Usage: ``python seed_company.py CONFIG DATABASE DATA.json``. Uses proteus on the trytond
backend (in-process, no server) and the module test helpers for the accounting set-up.
This file imports only the standard library, ``proteus`` and ``trytond``.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sys
import time
from decimal import Decimal
from typing import Any

from proteus import Model, config
from trytond.modules.account.tests.tools import (
    create_chart,
    create_fiscalyear,
    create_tax,
    get_accounts,
)
from trytond.modules.account_invoice.tests.tools import (
    create_payment_term,
    set_fiscalyear_invoice_sequences,
)
from trytond.modules.company.tests.tools import create_company, get_company

COUNTRY_NAMES = {
    "AT": "Austria", "BE": "Belgium", "CH": "Switzerland", "CZ": "Czechia", "DE": "Germany",
    "DK": "Denmark", "ES": "Spain", "FI": "Finland", "FR": "France", "GB": "United Kingdom",
    "IE": "Ireland", "IT": "Italy", "LU": "Luxembourg", "NL": "Netherlands", "NO": "Norway",
    "PL": "Poland", "PT": "Portugal", "SE": "Sweden", "US": "United States",
}  # fmt: skip


def seed(config_file: str, database: str, data: dict[str, Any]) -> None:
    """Create company, accounting, customers, catalogue, stock and documents from ``data``."""
    cfg = config.set_trytond(database, config_file=config_file)
    started = time.monotonic()

    def step(name: str) -> None:
        print(f"seed: {name} after {time.monotonic() - started:.1f} s", file=sys.stderr)

    rng = random.Random(data["seed"])
    today = dt.date.today()

    country_model = Model.get("country.country")
    countries = {}
    for code in data["countries"]:
        country = country_model(name=COUNTRY_NAMES.get(code, code), code=code)
        countries[code] = country
    country_model.save(list(countries.values()))

    lang_model = Model.get("ir.lang")
    langs = {lang.code: lang for lang in lang_model.find([("code", "in", ["de", "en"])])}
    for lang in langs.values():
        if not lang.translatable:
            lang.translatable = True
            lang.save()

    party_model = Model.get("party.party")
    info = data["company"]
    company_party = party_model(name=info["name"])
    address = company_party.addresses[0]
    address.street = info["street"]
    address.postal_code = info["postal_code"]
    address.city = info["city"]
    address.country = countries[info["country"]]
    company_party.save()
    create_company(party=company_party, currency="EUR")
    company = get_company()
    # Invoices of the demo are back-dated: their payment dates lie in the past on purpose.
    cfg.skip_warning = True
    step("company")

    for year in (today.year - 1, today.year):
        fiscalyear = set_fiscalyear_invoice_sequences(
            create_fiscalyear(company, today=dt.date(year, 6, 30))
        )
        fiscalyear.click("create_period")
    create_chart(company)
    accounts = get_accounts(company)
    tax = create_tax(Decimal("0.19"))
    tax.save()
    payment_term = create_payment_term()
    payment_term.save()

    category_model = Model.get("product.category")
    account_category = category_model(name="Umsatz 19 %", accounting=True)
    account_category.account_expense = accounts["expense"]
    account_category.account_revenue = accounts["revenue"]
    account_category.customer_taxes.append(tax)
    account_category.save()
    groups = {}
    for group in data["groups"]:
        groups[group["code"]] = category_model(name=group["name"], code=group["code"])
    category_model.save(list(groups.values()))

    uom_model = Model.get("product.uom")
    unit = uom_model.find([("name", "=", "Unit")])[0]
    hour = uom_model.find([("name", "=", "Hour")])[0]
    template_model = Model.get("product.template")
    templates = []
    for item in data["products"]:
        template = template_model(name=item["name"], code=item["code"])
        template.type = item["kind"]
        template.default_uom = hour if item["kind"] == "service" else unit
        template.salable = True
        template.list_price = Decimal(item["list_price"])
        template.account_category = account_category
        template.categories.append(category_model(groups[item["group"]].id))
        product = template.products[0]
        product.suffix_code = ""
        templates.append(template)
    template_model.save(templates)
    products = [t.products[0] for t in templates]
    stock_by_product = {
        p.id: item["stock"] for p, item in zip(products, data["products"], strict=True)
    }

    step("catalogue")
    customer_category = Model.get("party.category")(name="customer")
    customer_category.save()
    # Raw creates: proteus records run on_change calls per field, far too slow for hundreds.
    values = []
    for item in data["customers"]:
        mechanisms = [
            {"type": "email", "value": item["email"]},
            {"type": "phone", "value": item["phone"]},
            # A person at the customer: a named e-mail (how syncline maps contacts).
            {
                "type": "email",
                "value": item["contact_email"],
                "name": f"{item['contact_last']}, {item['contact_first']}",
                "comment": "Einkauf",
            },
        ]
        identifiers = [{"type": "eu_vat", "code": item["vat_id"]}] if item["vat_id"] else []
        values.append(
            {
                "name": item["name"],
                "lang": langs[item["lang"]].id if item["lang"] in langs else None,
                "customer_payment_term": payment_term.id,
                "categories": [("add", [customer_category.id])],
                "addresses": [
                    (
                        "create",
                        [
                            {
                                "street_unstructured": item["street"],
                                "postal_code": item["postal_code"],
                                "city": item["city"],
                                "country": countries[item["country"]].id,
                                "invoice": True,
                            }
                        ],
                    )
                ],
                "contact_mechanisms": [("create", mechanisms)],
                "identifiers": [("create", identifiers)],
            }
        )
    ids = party_model._proxy.create(values, cfg.context)
    customers = [party_model(i) for i in ids]
    step("customers")
    # Stock on hand: one inventory for all goods.
    location_model = Model.get("stock.location")
    storage = location_model.find([("code", "=", "STO")])[0]
    inventory_model = Model.get("stock.inventory")
    inventory = inventory_model(location=storage, date=today - dt.timedelta(days=60))
    for product in products:
        if stock_by_product[product.id]:
            inventory.lines.new(product=product, quantity=stock_by_product[product.id])
    inventory.save()
    inventory.click("confirm")

    step("stock")
    # Sales in every state; processing creates shipments and invoices. Raw creates again.
    sale_model = Model.get("sale.sale")
    price_unit = {
        p.id: (Decimal(item["list_price"]), (hour if item["kind"] == "service" else unit).id)
        for p, item in zip(products, data["products"], strict=True)
    }
    goods = [p for p in products if stock_by_product[p.id] >= 10]
    services = [p for p in products if p.template.type == "service"]
    states = ["draft"] * 6 + ["quotation"] * 6 + ["cancelled"] * 3 + ["processing"] * 30
    sale_values = []
    for index, _target in enumerate(states):
        party = rng.choice(customers)
        address = party.addresses[0].id
        lines = []
        for _ in range(rng.randint(1, 4)):
            product = rng.choice(services if rng.random() < 0.2 else goods)
            price, uom = price_unit[product.id]
            lines.append(
                {"type": "line", "product": product.id, "quantity": rng.randint(1, 5),
                 "unit": uom, "unit_price": price}
            )  # fmt: skip
        sale_values.append(
            {
                "party": party.id,
                "invoice_address": address,
                "shipment_address": address,
                "sale_date": today - dt.timedelta(days=rng.randint(0, 300)),
                "invoice_method": "order",
                "shipment_method": "order",
                "payment_term": payment_term.id,
                "reference": f"PO-{40000 + index}",
                "lines": [("create", lines)],
            }
        )
    sale_ids = sale_model._proxy.create(sale_values, cfg.context)
    by_state: dict[str, list[int]] = {}
    for sale_id, target in zip(sale_ids, states, strict=True):
        by_state.setdefault(target, []).append(sale_id)
    sale_model._proxy.quote(by_state["quotation"] + by_state["processing"], cfg.context)
    sale_model._proxy.cancel(by_state["cancelled"], cfg.context)
    sale_model._proxy.confirm(by_state["processing"], cfg.context)
    step("sales")
    shipment_model = Model.get("stock.shipment.out")
    shipments = shipment_model.find([("state", "=", "waiting")])
    for index, shipment in enumerate(shipments):
        if index % 3 == 2:
            continue  # some stay waiting: open orders and forecasts have something to show
        shipment.click("assign_try")
        if shipment.state != "assigned":
            continue
        shipment.click("pick")
        shipment.click("pack")
        shipment.click("do")

    step("shipments")
    invoice_model = Model.get("account.invoice")
    # Credit notes: negative out invoices for returned goods.
    for index in range(6):
        party = rng.choice(customers)
        credit = invoice_model(type="out", party=party, payment_term=payment_term)
        line = credit.lines.new()
        line.product = rng.choice(goods)
        line.quantity = -rng.randint(1, 2)
        line.unit_price = line.product.template.list_price
        credit.description = f"Gutschrift Rücksendung {index + 1}"
        credit.save()
    step("credit notes")
    drafts = invoice_model.find([("state", "=", "draft"), ("type", "=", "out")])
    to_post = []
    for index, invoice in enumerate(drafts):
        invoice.invoice_date = today - dt.timedelta(days=rng.randint(0, 120))
        if index % 5 != 4 or invoice.total_amount < 0:  # a few drafts remain
            to_post.append(invoice)
    invoice_model.save(drafts)
    # One call: Tryton numbers the invoices of a call in invoice date order.
    invoice_model._proxy.post([invoice.id for invoice in to_post], cfg.context)
    step("invoices")

    _seed_service(
        {"company": company, "customers": customers, "account_category": account_category,
         "unit": unit, "rng": rng, "today": today}
    )  # fmt: skip
    step("service")


def _seed_service(seeded: dict[str, Any]) -> None:
    """Complaint types, an employee, projects with hours and subscription services."""
    model = Model
    company, customers = seeded["company"], seeded["customers"]
    account_category, unit = seeded["account_category"], seeded["unit"]
    rng: random.Random = seeded["rng"]
    today: dt.date = seeded["today"]
    ir_model = model.get("ir.model")
    complaint_type = model.get("sale.complaint.type")(name="Reklamation Auftrag")
    complaint_type.origin = ir_model.find([("name", "=", "sale.sale")])[0]
    complaint_type.save()

    party_model = model.get("party.party")
    employee_party = party_model(name="Jonas Petersen")
    employee_party.save()
    employee = model.get("company.employee")(party=employee_party, company=company)
    employee.save()
    user_model = model.get("res.user")
    admin = user_model.find([("login", "=", "admin")])[0]
    admin.employees.append(employee)
    admin.employee = employee
    admin.save()

    work_model = model.get("project.work")
    for index, party in enumerate(customers[:5]):
        project = work_model(name=f"Service {party.name}", type="project", party=party)
        project.timesheet_available = True
        project.save()
        line_model = model.get("timesheet.line")
        for day in range(3):
            line = line_model(employee=employee, work=project.timesheet_works[0])
            line.date = today - dt.timedelta(days=7 * index + day)
            line.duration = dt.timedelta(hours=rng.randint(1, 6))
            line.description = "Vor-Ort-Einsatz"
            line.save()

    rule_set_model = model.get("sale.subscription.recurrence.rule.set")
    for name, freq in (("Monatlich", "monthly"), ("Jährlich", "yearly")):
        rule_set = rule_set_model(name=name)
        rule = rule_set.rules[0]
        rule.freq = freq
        rule.interval = 1
        rule_set.save()
    monthly = rule_set_model.find([("name", "=", "Monatlich")])[0]
    template_model = model.get("product.template")
    template = template_model(name="Wartungsvertrag", code="SRV-WARTUNG")
    template.type = "service"
    template.default_uom = unit
    template.list_price = Decimal("149.00")
    template.account_category = account_category
    template.salable = True
    template.save()
    service = model.get("sale.subscription.service")(product=template.products[0])
    service.consumption_recurrence = monthly
    service.save()
    subscription_model = model.get("sale.subscription")
    for party in customers[5:15]:
        subscription = subscription_model(party=party)
        subscription.start_date = today.replace(day=1)
        subscription.invoice_recurrence = monthly
        line = subscription.lines.new()
        line.service = service
        line.quantity = 1
        subscription.save()
        subscription.click("quote")
        subscription.click("run")


def main(argv: list[str]) -> int:
    """Entry point: ``seed_company.py CONFIG DATABASE DATA.json``."""
    config_file, database, data_file = argv[1:4]
    with open(data_file, encoding="utf-8") as handle:
        data = json.load(handle)
    seed(config_file, database, data)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
