"""What an operator types after a sync: dead letters retried (with a payload file or not),
conflicts decided, listings filtered by map and state, users added. Wrong input is a usage
error (exit code 2) saying what is wrong; a write refused again is exit code 1 with its
reason."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from syncline.cli import app
from syncline.cli.common import state
from syncline.errors import SynclineError
from tests.cli.support import parties_map
from tests.cli.support import run as cli_run
from tests.cli.test_sql_tables import SYSTEMS, Legacy, write_config


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("COLUMNS", "250")
    yield
    state.config = None


def run(
    config: Path, capsys: pytest.CaptureFixture[str], *args: str, code: int = 0
) -> tuple[str, str]:
    """As :func:`tests.cli.support.run`, its error output on one line (Rich wraps it)."""
    out, err = cli_run(config, capsys, *args, code=code)
    return out, " ".join(err.split())


PARTIES = parties_map(match={"keys": ["emails"]})


class Refused:
    """Two parties of one VAT id, one in each system, not matched (keys: emails): each
    system refuses the other's copy (its VAT id column is unique), two dead letters."""

    def __init__(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.crm, self.erp = (Legacy(f"sqlite:///{tmp_path / f'{s}.db'}") for s in SYSTEMS)
        self.crm_id = self.crm.add_party("Nordwind AG", "DE7")
        self.erp_id = self.erp.add_party("Zeta Holding", "DE7")
        self.config = write_config(tmp_path, [PARTIES])
        self.capsys = capsys
        run(self.config, capsys, "sync", "--once", code=1)
        letters = self.json("deadletters", "list")
        self.into_erp = next(j for j in letters if j["target_system"] == "erp")
        self.into_crm = next(j for j in letters if j["target_system"] == "crm")

    def __call__(self, *args: str, code: int = 0) -> tuple[str, str]:
        return run(self.config, self.capsys, *args, code=code)

    def json(self, *args: str) -> Any:
        return json.loads(self(*args, "--json")[0])

    def close(self) -> None:
        self.crm.close()
        self.erp.close()


@pytest.fixture
def refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Iterator[Refused]:
    setup = Refused(tmp_path, capsys)
    yield setup
    setup.close()


def test_a_dead_create_names_the_record_it_copies_and_its_link(refused: Refused) -> None:
    job = refused.into_erp
    record = f"new copy of crm {refused.crm_id} (link {job['link_id']})"
    listed, _ = refused("deadletters", "list")
    assert record in listed and "(new)" not in listed
    shown, _ = refused("deadletters", "show", str(job["id"]))
    assert f"create party in erp, record {record}: refused: " in shown.splitlines()[0]


def test_retry_reports_this_jobs_refusal_and_exits_1(refused: Refused) -> None:
    job = refused.into_erp
    _, err = refused("deadletters", "retry", str(job["id"]), code=1)
    assert err.startswith(f"job {job['id']} refused again by erp: ")
    assert "UNIQUE constraint failed" in err
    assert [j["id"] for j in refused.json("deadletters", "list")].count(job["id"]) == 1


def test_retry_with_an_edited_payload_reports_it_delivered(
    refused: Refused, tmp_path: Path
) -> None:
    job = refused.into_erp
    payload = tmp_path / "fix.json"
    payload.write_text(json.dumps({"vat_id": "DE8"}), encoding="utf-8")
    out, _ = refused("deadletters", "retry", str(job["id"]), "--payload", str(payload))
    assert out.strip() == f"job {job['id']} delivered"
    assert refused.erp.parties().keys() == {"DE7", "DE8"}
    shown, _ = refused("deadletters", "show", str(job["id"]))
    assert shown.splitlines()[0].endswith("not a dead letter: it was delivered")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (None, "No such file or directory"),
        ("{broken", "not valid JSON: Expecting property name enclosed in double quotes"),
        ("[1, 2]", "must hold a JSON object of field values"),
    ],
)
def test_a_payload_file_that_cannot_be_used_is_a_usage_error(
    refused: Refused, tmp_path: Path, content: str | None, reason: str
) -> None:
    payload = tmp_path / "edit.json"
    if content is not None:
        payload.write_text(content, encoding="utf-8")
    job = str(refused.into_erp["id"])
    _, err = refused("deadletters", "retry", job, "--payload", str(payload), code=2)
    assert err.startswith(f"error: --payload {payload}: {reason}")


def test_no_such_id_and_bad_option_values_are_usage_errors(refused: Refused) -> None:
    job = str(refused.into_erp["id"])
    refused("deadletters", "skip", job)
    for args in (
        ("deadletters", "skip", job),  # not a dead letter any more
        ("deadletters", "retry", job),
        ("deadletters", "retry", "999"),
        ("deadletters", "show", "999"),
        ("conflicts", "show", "999"),
        ("conflicts", "resolve", "999", "--take", "erp"),
        ("links", "show", "999"),
    ):
        refused(*args, code=2)


def test_resolve_refuses_a_system_the_conflict_is_not_between(refused: Refused) -> None:
    refused.erp.add_party("Acme GmbH", "DE9")
    refused("sync", "--once")
    for legacy, name in ((refused.crm, "Acme Gesellschaft"), (refused.erp, "Acme AG")):
        changed = {"firma": name, "geaendert": datetime.now(UTC).replace(tzinfo=None)}
        with legacy.engine.begin() as db:
            db.execute(legacy.kunden.update().where(legacy.kunden.c.ustid == "DE9"), changed)
    refused("sync", "--once")
    (conflict,) = refused.json("conflicts", "list")
    _, err = refused("conflicts", "resolve", str(conflict["id"]), "--take", "shop", code=2)
    assert f"conflict {conflict['id']} is between crm and erp: take one of them" in err


@pytest.mark.parametrize(
    "args",
    [
        ("links", "list", "--map", "nosuch"),
        ("conflicts", "list", "--map", "nosuch"),
        ("deadletters", "list", "--map", "nosuch"),
        ("audit", "--map", "nosuch"),
    ],
)
def test_a_listing_of_an_unknown_map_is_refused(refused: Refused, args: tuple[str, ...]) -> None:
    _, err = refused(*args, code=2)
    assert "no map named 'nosuch'; maps: parties" in err


def test_a_map_taken_out_of_the_config_still_lists_its_rows(refused: Refused) -> None:
    cfg = yaml.safe_load(refused.config.read_text(encoding="utf-8"))
    cfg["maps"] = [{**PARTIES, "name": "customers"}]
    refused.config.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    assert {lk["map_name"] for lk in refused.json("links", "list", "--map", "parties")} == {
        "parties"
    }
    assert len(refused.json("deadletters", "list", "--map", "parties")) == 2
    refused("links", "list", "--map", "customers")  # in the config, no rows yet
    _, err = refused("links", "list", "--map", "nosuch", code=2)
    assert "no map named 'nosuch'; maps: customers" in err


def test_links_refuse_an_unknown_state_and_show_a_pending_id_as_listed(
    refused: Refused,
) -> None:
    _, err = refused("links", "list", "--state", "bogus", code=2)
    assert "no link state 'bogus'; states: active, flagged, unlinked, deleted" in err
    link = refused.into_erp["link_id"]
    shown, _ = refused("links", "show", str(link))
    assert shown.splitlines()[0] == f"link {link} (active) parties: {refused.crm_id} <-> (pending)"


def test_users_add_without_a_terminal_points_to_the_password_variable(tmp_path: Path) -> None:
    config = write_config(tmp_path, [])
    monkey_env = {"SYNCLINE_PASSWORD": ""}
    result = CliRunner().invoke(
        app, ["--config", str(config), "users", "add", "carl"], input="", env=monkey_env
    )
    state.config = None
    error = result.exception
    assert isinstance(error, SynclineError) and error.exit_code == 2, result.output
    assert "no password given" in str(error) and "$SYNCLINE_PASSWORD" in str(error)
