"""``syncline demo erp|crm``: the demo systems this checkout can install and run."""

from __future__ import annotations

import typer

from syncline.demo import crm, erp

demo_app = typer.Typer(
    help="Demo systems on loopback ports: Tryton (ERP) and BottleCRM (CRM).",
    no_args_is_help=True,
)
demo_app.add_typer(erp.app, name="erp")
demo_app.add_typer(crm.app, name="crm")


def register(app: typer.Typer) -> None:
    app.add_typer(demo_app, name="demo")


__all__ = ["register"]
