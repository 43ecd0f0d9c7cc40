"""Against a real BottleCRM: the phase of project time is the task it was logged on, by the
task's title or by a task custom field."""

from __future__ import annotations

import uuid

import pytest

from syncline.connectors.bottlecrm import BottleCrmConnector
from syncline.connectors.bottlecrm.custom_fields import DEFINITIONS_PATH, CustomField
from syncline.errors import PermanentError
from syncline.model import TimeEntry
from tests.connectors.bottlecrm.conftest import CrmAccount
from tests.support.crm_records import log_time, new_project, new_task

pytestmark = [pytest.mark.integration, pytest.mark.bottlecrm]


def test_project_time_takes_its_phase_from_the_task_title_or_a_task_custom_field(
    bottlecrm_connector: BottleCrmConnector, crm_account: CrmAccount
) -> None:
    tag = uuid.uuid4().hex[:8]
    field = f"phase_{tag}"
    bottlecrm_connector.client.post(DEFINITIONS_PATH, CustomField("Task", field, "Phase").body(0))
    project = new_project(bottlecrm_connector, crm_account.account_id, f"Relaunch {tag}")
    wireframes = new_task(bottlecrm_connector, project, "Wireframes", **{field: "Konzept"})
    mockups = new_task(bottlecrm_connector, project, "Mockups", **{field: "Konzept"})
    backend = new_task(bottlecrm_connector, project, "Backend", **{field: "Umsetzung"})
    logged = {
        log_time(bottlecrm_connector, project, "2026-10-05T08:00:00+00:00", 60, "Skizzen",
                 task=wireframes): "Wireframes",
        log_time(bottlecrm_connector, project, "2026-10-06T08:00:00+00:00", 30, "Entwürfe",
                 task=mockups): "Mockups",
        log_time(bottlecrm_connector, project, "2026-10-07T08:00:00+00:00", 90, "API",
                 task=backend): "Backend",
        log_time(bottlecrm_connector, project, "2026-10-08T08:00:00+00:00", 15, "Abstimmung"): None,
    }  # fmt: skip

    def phases(phase_field: str | None) -> dict[str, str | None]:
        return {
            str(row["id"]): entry.phase
            for page in bottlecrm_connector.time_entries.scan(phase_field)
            for row, entry in page
            if str(row["id"]) in logged
        }

    assert phases(None) == logged
    by_field = {"Wireframes": "Konzept", "Mockups": "Konzept", "Backend": "Umsetzung"}
    assert phases(field) == {e: by_field.get(t or "") for e, t in logged.items()}
    with pytest.raises(PermanentError, match=f"no task custom field 'undefined_{tag}'"):
        phases(f"undefined_{tag}")
    # The connector's own read (the sync engine's) reports the title.
    records = bottlecrm_connector.read("time_entry", list(logged))
    assert {r.native_id: r.data.phase for r in records if isinstance(r.data, TimeEntry)} == logged
