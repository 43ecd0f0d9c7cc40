"""Creating 2,000 parties in Tryton: through the connector vs. raw batched JSON-RPC creates.

Both run against the same demo trytond (a fresh copy of the cached template) in the same run.
The connector adds what the engine needs: role categories, explicit empty children and a read of
the new records' versions. Target: at least 0.8 of raw throughput.

Run alone: ``python -m bench.tryton_create [--parties N]``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from pathlib import Path

from bench.common import Figure, report
from syncline.connectors.base import WriteOp, WriteRequest
from syncline.connectors.tryton import TrytonClient, TrytonSettings, connect
from syncline.demo import tryton
from syncline.model import Address, Party

BATCH = 500


def _party(n: int, tag: str) -> Party:
    return Party(
        name=f"Bench {tag} {n} GmbH",
        emails=[f"bench{n}@{tag}.example"],
        addresses=[Address(street=f"Benchweg {n}", postal_code="24103", city="Kiel", country="DE")],
    )


def _raw_values(party: Party, country: int) -> dict[str, object]:
    address = party.addresses[0]
    return {
        "name": party.name,
        "addresses": [
            ("create", [{"street_unstructured": address.street, "postal_code": address.postal_code,
                         "city": address.city, "country": country, "invoice": True}])
        ],
        "contact_mechanisms": [("create", [{"type": "email", "value": party.emails[0]}])],
    }  # fmt: skip


def run(parties: int = 2000) -> list[Figure]:
    """Records per second of both ways of creating ``parties`` parties."""
    with tempfile.TemporaryDirectory(prefix="bench-tryton-") as folder:
        instance = tryton.start(Path(folder))
        try:
            settings = TrytonSettings(
                url=instance.url,
                database=instance.database,
                username=instance.username,
                password=instance.password,
                write_batch_size=BATCH,
            )
            client = TrytonClient(settings, system="bench")
            (country,) = client.search("country.country", [("code", "=", "DE")])
            connector = connect("erp", settings)
            connector.health()  # log in and warm both sessions before timing
            raw_tag, conn_tag = uuid.uuid4().hex[:6], uuid.uuid4().hex[:6]
            raw_values = [_raw_values(_party(n, raw_tag), country) for n in range(parties)]
            started = time.perf_counter()
            for start in range(0, parties, BATCH):
                client.create("party.party", raw_values[start : start + BATCH])
            raw_seconds = time.perf_counter() - started

            requests = [
                WriteRequest(WriteOp.CREATE, "party", f"bench-{n}", data=_party(n, conn_tag))
                for n in range(parties)
            ]
            started = time.perf_counter()
            size = connector.capabilities.write_batch_size
            for start in range(0, parties, size):
                results = connector.write("party", requests[start : start + size])
                failed = [r.error for r in results if not r.ok]
                if failed:
                    raise RuntimeError(f"connector create failed: {failed[0]}")
            connector_seconds = time.perf_counter() - started
            connector.close()
            client.close()
        finally:
            tryton.stop(Path(folder))
    raw_rate = parties / raw_seconds
    return [
        Figure(
            name=f"tryton: create {parties} parties via connector",
            value=parties / connector_seconds,
            unit="records/s",
            baseline=raw_rate,
            baseline_name="raw JSON-RPC create, batches of 500",
            target=0.8,
        )
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--parties", type=int, default=2000)
    report(run(parties=parser.parse_args().parties))


if __name__ == "__main__":
    main()
