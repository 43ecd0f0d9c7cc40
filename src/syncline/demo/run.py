"""``make demo``: start the demo ERP and CRM, configure syncline for them, sync, serve the web app.

Run as ``python -m syncline.demo.run --dir demo``. Every step prints what it does; a step that
fails is reported with its reason and the demo goes on, so that the web app shows the result
(dead letters, conflicts) instead of a traceback. The demo systems keep running after the web
app stops: ``make demo-stop`` stops them.
"""

from __future__ import annotations

import os
import secrets
import shlex
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from syncline.cli import main as cli_main
from syncline.cli.starter import STARTER_CONFIG
from syncline.demo import bottlecrm, tryton
from syncline.demo.bottlecrm.server import CrmInstance, register_webhook
from syncline.demo.process import free_port
from syncline.demo.tryton import TrytonInstance
from syncline.store import Store
from syncline.store.accounts import Role, add_user, get_user, remove_user

console = Console()

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
    console.rule(title)
    try:
        code = action()
    except Exception as exc:  # a demo step failing must not hide the others' results
        console.print(f"[red]{title} failed:[/red] {exc}", highlight=False)
        return False
    if code != 0:
        console.print(f"[yellow]{title} ended with exit code {code}[/yellow]")
    return code == 0


def _cli(config: Path, *args: str) -> Callable[[], int]:
    return lambda: cli_main(["--config", str(config), *args])


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
        console.print(f"wrote {config}")
    ok = _step("check the config and reach both systems", _cli(config, "check", "--connect"))
    ok &= _step("state store", _cli(config, "db", "upgrade"))
    for name in MAPS:
        ok &= _step(f"initial load of map {name}", _cli(config, "load", "--map", name))
    ok &= _step("one sync cycle over every map", _cli(config, "sync", "--once"))
    _step("status", _cli(config, "status"))
    password = _web_login(config)
    console.rule("the demo is running")
    console.print(f"ERP (Tryton)      {erp.url}  database {erp.database}  user {erp.username}")
    console.print(f"CRM (BottleCRM)   {crm.url}  login {crm.admin_email}")
    console.print(f"syncline web app  http://127.0.0.1:{web_port}/  login {WEB_USER}")
    console.print(f"                  password {password}")
    console.print(f"syncline CLI      source {state_dir / ENV_FILE}; syncline --config {config}")
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
