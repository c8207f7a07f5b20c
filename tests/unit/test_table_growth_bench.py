"""bench part 13's report, and the switch it compares with: moto's own methods inside
`dynamodb_costs.uninstalled`, the local cloud's after."""

from __future__ import annotations

from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table

from bench import table_growth
from local import dynamodb_costs

PART = {
    "sends_per_step": 100,
    "messages_at_step": [100, 200],
    "local_cloud": {"per_send_ms": [6.0, 7.5], "growth": 1.25},
    "moto_alone": {"per_send_ms": [20.0, 60.0], "growth": 3.0},
    "goal_growth": 1.5,
    "goal_met": True,
}


def test_the_report_shows_each_step_and_the_verdict() -> None:
    text = "\n".join(table_growth.render(PART))
    assert "| 100 | 6 | 20 |" in text and "| 200 | 7.5 | 60 |" in text
    assert "local cloud 1.25x, moto alone 3.0x" in text
    assert "at most 1.5x on the local cloud (met)" in text


def test_a_growth_over_the_goal_is_reported_missed() -> None:
    missed = {**PART, "local_cloud": {"per_send_ms": [6.0, 12.0], "growth": 2.0}, "goal_met": False}
    assert "(missed)" in "\n".join(table_growth.render(missed))


def test_uninstalled_lends_moto_its_own_methods_and_takes_them_back() -> None:
    dynamodb_costs.install()
    ours = (Table.all_items, DynamoDBBackend.transact_write_items)
    assert getattr(ours[1], "_undo_log", False)
    with dynamodb_costs.uninstalled():
        assert not getattr(DynamoDBBackend.transact_write_items, "_undo_log", False)
        assert Table.all_items is not ours[0]
    assert (Table.all_items, DynamoDBBackend.transact_write_items) == ours
