"""The commented starter config written by ``syncline init`` (the demo pair: Tryton + BottleCRM)."""

from __future__ import annotations

STARTER_CONFIG = """\
# syncline.yaml: what lives where, which system leads, and how records flow.
# Reference: README.md, section "Configuration reference". Validate with `syncline check`.
# Secrets are never written here: ${NAME} is read from the environment when syncline runs.
version: 1

store:
  # sqlite:///PATH (relative to this file) or postgresql://USER:${PGPASSWORD}@HOST/DB
  url: sqlite:///state/syncline.db

systems:
  erp:                              # the ERP: debtors, catalogue, orders, invoices
    type: tryton
    url: ${SYNCLINE_ERP_URL:-http://127.0.0.1:8000}
    database: ${SYNCLINE_ERP_DATABASE:-syncline_demo}
    username: admin
    password: ${SYNCLINE_ERP_PASSWORD}
  crm:                              # the CRM: accounts, contacts, deals, cases
    type: bottlecrm
    url: ${SYNCLINE_CRM_URL:-http://127.0.0.1:8001}
    token: ${SYNCLINE_CRM_TOKEN}
    webhook_secret: ${SYNCLINE_CRM_WEBHOOK_SECRET:-}

maps:
  # Customers: the ERP leads debtor data and addresses; the CRM may edit the rest.
  - name: customers
    entity: party
    a: erp
    b: crm
    direction: both
    conflict: manual                # a person decides real conflicts on unlisted fields
    match:
      keys: [vat_id, emails]        # deterministic keys before anything is created
      fuzzy: true                   # then similar names and addresses are suggested
      thresholds: {auto_link: 0.92, review: 0.75}
    fields:
      - field: name
        conflict: {leading: erp}
      - field: numbers              # the ERP debtor number is written onto the CRM account
        owner: erp
      - field: addresses
        owner: erp                  # a CRM edit is reverted and audited
        on_foreign_edit: protect
      - field: credit_limit
        owner: erp
    delete: archive
    schedule: {every: 60}

  # Contacts: the CRM leads sales and support contacts.
  - name: contacts
    entity: contact
    a: crm
    b: erp
    direction: both
    conflict: {leading: crm}
    match:
      keys: [email]
    delete: flag

  # Product catalogue: ERP -> CRM only; the ERP owns every field.
  - name: products
    entity: product
    a: erp
    b: crm
    direction: a_to_b
    conflict: {leading: erp}
    match:
      keys: [code]
    delete: archive

# Business flows: processes that cross the border ("the order marks the border").
# Run one with `syncline flows run NAME`, see them with `syncline flows list`; docs/flows.md.
# Left out on purpose: customer_master and product_catalogue do what the customers and
# products maps above already do; use them instead of those maps, not beside them.
flows:
  # A won deal with an accepted quote becomes a confirmed ERP order; its number, state and
  # planned ship date go back onto the deal.
  - name: orders
    kind: order_handoff
    party_map: customers            # links CRM accounts <-> ERP parties
    product_map: products           # the catalogue links (else the SKU = the ERP code)
    discount_limit: 10              # percent; above it the deal waits for "Discount approved"
  # A shipment done in the ERP becomes an activity on the CRM account and its deal.
  - name: shipped
    kind: shipment_notice
    lookback_days: 30               # notice shipments done within this many days
  # ERP invoices and credit notes with their lines, as read-only copies in the CRM.
  - name: invoices
    kind: billing_documents
    lookback_days: 90               # documents dated within this many days
  # CRM warranty, defect and complaint cases become ERP complaints; their state comes back.
  - name: cases
    kind: service_cases
    case_types: [warranty, defect, complaint]
  # Billable CRM time on cases and projects, summed per customer, project and month, becomes
  # ERP timesheet lines once per month (`--period YYYY-MM`, default: last month).
  - name: hours
    kind: time_aggregation
    case_project: "Service {customer}"  # the ERP project that time on cases is booked on
  # CRM service agreements (recurring invoices) become one confirmed ERP order per month.
  - name: services
    kind: service_billing
"""
