"""``make demo``: start the demo ERP and CRM, configure syncline for them, sync, serve the web app.

Run as ``python -m syncline.demo.run --dir demo``. Every step prints what it does; a step that
fails is reported with its reason and the demo goes on, so that the web app shows the result
(dead letters, conflicts) instead of a traceback. After the initial load and one sync cycle the
business flows of the config run once each, and the summary names what they did: which won
deal became which ERP order, with its ship date, and which deal waits for an approval. The demo
systems keep running after the web app stops: ``make demo-stop`` stops them.
"""

from __future__ import annotations

import os
import secrets
import shlex
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from syncline.cli import main as cli_main
from syncline.cli.common import plain
from syncline.cli.starter import STARTER_CONFIG
from syncline.demo import bottlecrm, tryton
from syncline.demo.bottlecrm.server import CrmInstance, register_webhook
from syncline.demo.process import free_port
from syncline.demo.tryton import TrytonInstance
from syncline.errors import SynclineError
from syncline.flows.ledger import list_items
from syncline.flows.status import flow_status
from syncline.mapping.flows import OrderHandoffConfig
from syncline.mapping.loader import load_config
from syncline.model import Opportunity
from syncline.runtime import Runtime
from syncline.store import Store
from syncline.store.accounts import Role, add_user, get_user, remove_user

# URLs and paths stay whole, to copy them; values from data and errors go through ``plain``.
console = Console(soft_wrap=True, emoji=False)

CONFIG_FILE = "syncline.yaml"
ENV_FILE = "env.sh"
WEB_USER = "demo"
MAPS = ("customers", "contacts", "products")  # the starter config's maps, parents first


def demo_environment(erp: TrytonInstance, crm: CrmInstance) -> dict[str, str]:
    """The environment variables the starter config reads, for the running demo systems."""
    return {
        "SYNCLINE_ERP_URL": erp.url,
        "SYNCLINE_ERP_DATABASE": erp.database,
        "SYNCLINE_ERP_PASSWORD": erp.password,
        "SYNCLINE_CRM_URL": crm.url,
        "SYNCLINE_CRM_TOKEN": crm.token,
        "SYNCLINE_CRM_WEBHOOK_SECRET": crm.webhook_secret or "",
    }


def write_env_file(path: Path, env: dict[str, str]) -> None:
    """A file to ``source`` in a shell so that ``syncline`` commands reach the demo systems.

    These are throw-away credentials of local demo servers; the file is readable by its owner
    only.
    """
    lines = [f"export {key}={shlex.quote(value)}" for key, value in sorted(env.items())]
    path.write_text("# syncline demo systems; `source` this file\n" + "\n".join(lines) + "\n")
    path.chmod(0o600)


def _start_systems(state_dir: Path, receiver_url: str) -> tuple[TrytonInstance, CrmInstance]:
    console.print(
        "starting the demo ERP (Tryton) and CRM (BottleCRM); the first start installs and seeds "
        "them and takes several minutes, later starts take seconds"
    )
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="demo-start") as pool:
        erp_future = pool.submit(tryton.start, state_dir)
        crm_future = pool.submit(bottlecrm.start, state_dir)
        erp, crm = erp_future.result(), crm_future.result()
    if crm.webhook_url != receiver_url:
        crm = register_webhook(crm, receiver_url)
    return erp, crm


def _step(title: str, action: Callable[[], int]) -> bool:
    console.rule(plain(title))
    try:
        code = action()
    except Exception as exc:  # a demo step failing must not hide the others' results
        console.print(f"[red]{plain(title)} failed:[/red] {plain(exc)}", highlight=False)
        return False
    if code != 0:
        console.print(f"[yellow]{plain(title)} ended with exit code {code}[/yellow]")
    return code == 0


def _cli(config: Path, *args: str) -> Callable[[], int]:
    return lambda: cli_main(["--config", str(config), *args])


def deal_url(crm_url: str, deal_id: str) -> str:
    """Where a person opens a deal in the demo CRM (BottleCRM's Django admin; the demo runs no
    BottleCRM front end)."""
    return f"{crm_url.rstrip('/')}/admin/opportunity/opportunity/{deal_id}/change/"


@dataclass(frozen=True)
class DealOutcome:
    """Where one won deal of an order handoff flow stands after the demo's run."""

    flow: str
    deal_id: str
    deal_name: str
    state: str
    order_number: str | None
    order_state: str | None
    planned_ship_date: str | None
    waiting: str | None
    error: str | None

    def describe(self) -> str:
        """One line for the summary."""
        if self.order_number:
            return (
                f'deal "{self.deal_name}" became ERP order {self.order_number} '
                f"({self.order_state}), planned ship date {self.planned_ship_date or '-'}"
            )
        if self.error:
            return f'deal "{self.deal_name}" stopped: {self.error}'
        return f'deal "{self.deal_name}" waits: {self.waiting or self.state}'


def flow_names(config: Path) -> list[str]:
    """The enabled flows of the config, in its order (none when the config does not load)."""
    try:
        loaded = load_config(config)
    except SynclineError:  # `syncline check` has reported it already
        return []
    return [flow.name for flow in loaded.config.flows if flow.enabled]


def handoff_outcomes(runtime: Runtime) -> list[DealOutcome]:
    """The won deals the order handoff flows of ``runtime``'s config know, oldest first, with
    their ERP order or why they wait; the deal names are read from the CRM."""
    found = []
    for flow in runtime.config.flows:
        if not isinstance(flow, OrderHandoffConfig):
            continue
        with runtime.store.begin() as conn:
            items = list_items(conn, flow.name, limit=1000)
        crm = runtime.connector(flow.crm)
        for item in reversed(items):
            deal_id = str(item.data.get("deal_id") or item.key.removeprefix("deal:"))
            records = crm.read("opportunity", [deal_id])
            deal = records[0].data if records else None
            found.append(
                DealOutcome(
                    flow=flow.name,
                    deal_id=deal_id,
                    deal_name=deal.name if isinstance(deal, Opportunity) else deal_id,
                    state=item.state,
                    order_number=item.data.get("order_number"),
                    order_state=item.data.get("order_state"),
                    planned_ship_date=item.data.get("planned_ship_date"),
                    waiting=item.data.get("waiting"),
                    error=item.error,
                )
            )
    return found


def approval_command(config: Path, outcome: DealOutcome) -> str:
    """A shell line that ticks the deal's "Discount approved" field through BottleCRM's API (the
    demo runs no BottleCRM front end) and runs the order handoff flow again."""
    body = '{"custom_fields": {"discount_approved": true}}'
    return (
        f"source {config.parent / ENV_FILE}; curl -s -X PATCH "
        '-H "Authorization: Bearer $SYNCLINE_CRM_TOKEN" -H "Content-Type: application/json" '
        f"-d '{body}' \"$SYNCLINE_CRM_URL/api/opportunities/{outcome.deal_id}/\" >/dev/null; "
        f"syncline --config {config} flows run {outcome.flow}"
    )


def _print_flows(config: Path, crm: CrmInstance) -> None:
    """What the flows did, for the summary: each won deal with its ERP order or why it waits,
    and its page in the CRM; then the items of every flow per state."""
    runtime: Runtime | None = None
    try:
        runtime = Runtime.from_file(config)
        outcomes = handoff_outcomes(runtime)
        rows = flow_status(runtime.store, runtime.config)
    except Exception as exc:  # the summary must still show the logins
        console.print(
            f"[yellow]cannot read the flows' results:[/yellow] {plain(exc)}", highlight=False
        )
        return
    finally:
        if runtime is not None:
            runtime.close()
    # Orders first: a won deal that became an ERP order is what the demo is about.
    for outcome in sorted(outcomes, key=lambda o: o.order_number is None):
        console.print(plain(outcome.describe()), highlight=False)
        console.print(f"  in the CRM: {plain(deal_url(crm.url, outcome.deal_id))}")
        if outcome.state == "waiting_approval":
            console.print(
                "  approve it as a sales manager would, then run the flow again:\n"
                f"  {approval_command(config, outcome)}",
                highlight=False,
                markup=False,
            )
    for row in rows:
        states = ", ".join(f"{state} {count}" for state, count in sorted(row.states.items()))
        stuck = f"; {row.with_errors} with an error" if row.with_errors else ""
        console.print(
            f"flow {plain(row.name)} ({plain(row.kind)}): {plain(states or 'no items')}{stuck}",
            highlight=False,
        )


def _web_login(config: Path) -> str:
    """Create (or renew) the demo web user; returns its new password."""
    password = secrets.token_urlsafe(12)
    store = Store.open(f"sqlite:///{config.parent / 'state' / 'syncline.db'}")
    try:
        with store.begin() as conn:
            if get_user(conn, WEB_USER) is not None:
                remove_user(conn, WEB_USER)
            add_user(conn, WEB_USER, password, Role.ADMIN)
    finally:
        store.close()
    return password


def run(state_dir: Path, *, serve: bool, port: int | None) -> int:
    """The whole demo; returns the exit code."""
    state_dir = state_dir.resolve()
    state_dir.mkdir(parents=True, exist_ok=True)
    config = state_dir / CONFIG_FILE
    web_port = port or free_port()
    receiver = f"http://127.0.0.1:{web_port}/webhooks/bottlecrm/crm"
    erp, crm = _start_systems(state_dir, receiver)
    env = demo_environment(erp, crm)
    os.environ.update(env)
    write_env_file(state_dir / ENV_FILE, env)
    if not config.exists():
        config.write_text(STARTER_CONFIG)
        console.print(f"wrote {plain(config)}")
    ok = _step("check the config and reach both systems", _cli(config, "check", "--connect"))
    ok &= _step("state store", _cli(config, "db", "upgrade"))
    for name in MAPS:
        ok &= _step(f"initial load of map {name}", _cli(config, "load", "--map", name))
    ok &= _step("one sync cycle over every map", _cli(config, "sync", "--once"))
    flows = flow_names(config)
    for name in flows:
        ok &= _step(f"run flow {name}", _cli(config, "flows", "run", name))
    _step("status", _cli(config, "status"))
    password = _web_login(config)
    console.rule("the demo is running")
    _print_flows(config, crm)
    if not flows:
        console.print(
            f"{plain(config)} names no flows (written by an older demo?): to see a won deal "
            f"become an ERP order, stop the demo systems, remove {plain(state_dir)} and run the "
            "demo again"
        )
    console.print(
        f"ERP (Tryton)      {plain(erp.url)}  database {plain(erp.database)}  "
        f"user {plain(erp.username)}"
    )
    console.print(
        f"CRM (BottleCRM)   {plain(crm.url)}/admin/  login {plain(crm.admin_email)}  "
        f"password {plain(crm.admin_password)}"
    )
    console.print(f"syncline web app  http://127.0.0.1:{web_port}/  login {WEB_USER}")
    console.print(f"                  password {plain(password)}")
    console.print(
        f"syncline CLI      source {plain(state_dir / ENV_FILE)}; syncline --config {plain(config)}"
    )
    console.print("stop the demo systems with `make demo-stop`")
    if not serve:
        return 0 if ok else 1
    return cli_main(["--config", str(config), "serve", "--port", str(web_port)])


app = typer.Typer(add_completion=False, help="Start the syncline demo.")


@app.command()
def _main(
    state_dir: Annotated[
        Path, typer.Option("--dir", help="Demo folder: config, state, logs.")
    ] = Path("demo"),
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="End by serving the web app.")
    ] = True,
    port: Annotated[int | None, typer.Option("--port", help="Web app port.")] = None,
) -> None:
    raise typer.Exit(run(state_dir, serve=serve, port=port))


if __name__ == "__main__":
    app()
