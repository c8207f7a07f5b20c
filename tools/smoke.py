"""The checks of `make smoke`: does a deployed stack work, end to end?

Against the stack of one stage: its resources exist (from its own template and resources), the
event source mapping is Enabled, a conversation between two fresh smoke users goes through the
stream to both of their rows (the latency is reported), no alarm is in ALARM, and the alarm
topic has a confirmed subscription (a warning if not: nobody would be paged). The smoke users'
items are removed at the end, whatever happened; nothing else of the table is read or written
(their keys are new uuids: MSG#<smoke group> and GRP#<smoke user>).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Final

from cruddur_messages import guards, schema, wire
from cruddur_messages.models import User
from cruddur_messages.store import MessageStore

Clients = Callable[[str], Any]
Log = Callable[[str], None]
SMOKE_HANDLE: Final = "smoke"
_POLL_S: Final = 0.2


@dataclass
class Report:
    """What the run found: one line per failure, per warning and per passed check."""

    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    passed: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 1 if self.failures else 0


@dataclass(frozen=True)
class StackParts:
    """The deployed stack's resources the checks need, by type (physical ids)."""

    stack_name: str
    status: str
    resources: dict[str, list[str]]
    alarm_names: tuple[str, ...]

    def one(self, resource_type: str) -> str | None:
        found = self.resources.get(resource_type, [])
        return found[0] if len(found) == 1 else None


def stack_parts(cloudformation: Any, stack_name: str) -> StackParts:
    """The stack's status, resources and template alarm names (ClientError if it is missing)."""
    stack = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
    resources: dict[str, list[str]] = {}
    for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack_name):
        for summary in page["StackResourceSummaries"]:
            kind = summary.get("ResourceType", "")
            resources.setdefault(kind, []).append(summary.get("PhysicalResourceId", ""))
    body = cloudformation.get_template(StackName=stack_name)["TemplateBody"]
    template = json.loads(body) if isinstance(body, str) else body
    alarms = tuple(
        str(resource["Properties"]["AlarmName"])
        for resource in template.get("Resources", {}).values()
        if resource.get("Type") == "AWS::CloudWatch::Alarm"
        and isinstance(resource.get("Properties", {}).get("AlarmName"), str)
    )
    return StackParts(stack_name, str(stack["StackStatus"]), resources, alarms)


def smoke_users() -> tuple[User, User]:
    """Two users nobody else has: fresh uuids, handles that say what they are."""
    tag = uuid.uuid4().hex[:8]
    return tuple(  # type: ignore[return-value]
        User(
            uuid=str(uuid.uuid4()),
            display_name=f"Smoke {side}",
            handle=f"{SMOKE_HANDLE}_{tag}_{side}",
        )
        for side in ("a", "b")
    )


class Smoke:
    """One smoke run over `clients(service)` (the target's clients)."""

    def __init__(self, clients: Clients, stack_name: str, *, timeout_s: float, log: Log) -> None:
        self._clients = clients
        self.stack_name = stack_name
        self.timeout_s = timeout_s
        self._log = log
        self.report = Report()

    def _fail(self, line: str) -> None:
        self.report.failures.append(line)
        self._log(f"FAIL: {line}")

    def _warn(self, line: str) -> None:
        self.report.warnings.append(line)
        self._log(f"warning: {line}")

    def _ok(self, line: str) -> None:
        self.report.passed.append(line)
        self._log(f"ok: {line}")

    def run(self) -> Report:
        try:
            parts = stack_parts(self._clients("cloudformation"), self.stack_name)
        except Exception as error:  # a missing stack: nothing else can be checked
            self._fail(f"stack {self.stack_name} not found or unreadable: {_short(error)}")
            return self.report
        if not parts.status.endswith("_COMPLETE") or "ROLLBACK" in parts.status:
            self._fail(f"stack {self.stack_name} is {parts.status}")
        table = self._resources(parts)
        mapping_enabled = self._mapping(parts)
        if table is not None and mapping_enabled:
            self._conversation(table)
        self._alarms(parts)
        self._subscriptions(parts)
        return self.report

    # -- the checks ------------------------------------------------------------------------

    def _resources(self, parts: StackParts) -> str | None:
        """Each of the stack's resources answers; the table's name if it is ACTIVE."""
        checks: list[tuple[str, str, Callable[[str], Any]]] = [
            ("AWS::DynamoDB::Table", "table", self._table_status),
            ("AWS::Lambda::Function", "function", self._function_state),
            ("AWS::SNS::Topic", "alarm topic", self._topic),
            ("AWS::S3::Bucket", "failure bucket", self._bucket),
        ]
        table: str | None = None
        found: list[str] = []
        for kind, label, probe in checks:
            physical = parts.one(kind)
            if physical is None:
                self._fail(f"stack {parts.stack_name} has no single {label} ({kind})")
                continue
            try:
                state = probe(physical)
            except Exception as error:
                self._fail(f"{label} {physical}: {_short(error)}")
                continue
            if state not in (None, "ACTIVE", "Active"):
                self._fail(f"{label} {physical} is {state}")
                continue
            found.append(f"{label} {physical}")
            if kind == "AWS::DynamoDB::Table":
                table = physical
        if found:
            self._ok(f"stack {parts.stack_name} {parts.status}: " + ", ".join(found))
        return table

    def _table_status(self, name: str) -> str:
        return str(self._clients("dynamodb").describe_table(TableName=name)["Table"]["TableStatus"])

    def _function_state(self, name: str) -> str:
        config = self._clients("lambda").get_function(FunctionName=name)["Configuration"]
        return str(config.get("State", "Active"))

    def _topic(self, arn: str) -> None:
        self._clients("sns").get_topic_attributes(TopicArn=arn)

    def _bucket(self, name: str) -> None:
        self._clients("s3").head_bucket(Bucket=name)

    def _mapping(self, parts: StackParts) -> bool:
        mapping_id = parts.one("AWS::Lambda::EventSourceMapping")
        if mapping_id is None:
            self._fail(f"stack {parts.stack_name} has no single event source mapping")
            return False
        try:
            mapping = self._clients("lambda").get_event_source_mapping(UUID=mapping_id)
        except Exception as error:
            self._fail(f"event source mapping {mapping_id}: {_short(error)}")
            return False
        state = mapping.get("State")
        if state != "Enabled":
            self._fail(
                f"event source mapping {mapping_id} is {state}, not Enabled: new messages reach "
                "no conversation list (enable it: aws lambda update-event-source-mapping "
                f"--uuid {mapping_id} --enabled)"
            )
            return False
        self._ok(f"event source mapping {mapping_id} Enabled")
        return True

    def _conversation(self, table: str) -> None:
        """Pattern D then C between two smoke users; both rows must show the second message."""
        store = MessageStore(self._clients("dynamodb"), table_name=table)
        sender, recipient = smoke_users()  # valid by construction: a bug here is a traceback
        group_uuid: str | None = None
        try:
            group, _ = store.create_message_group(sender, recipient, "smoke: hello")
            group_uuid = group.group_uuid
            sent = time.monotonic()
            last = store.create_message(group_uuid, recipient, "smoke: reply through the stream")
            deadline = sent + self.timeout_s
            while True:
                rows = store.get_message_group_rows(group_uuid)
                moved = [row for row in rows if row.last_message_at == last.created_at]
                if len({row.owner_uuid for row in moved}) == 2:
                    latency = time.monotonic() - sent
                    self._ok(
                        f"a message reached both conversation rows through the stream in "
                        f"{latency:.1f}s (smoke users {sender.handle}, {recipient.handle})"
                    )
                    return
                if time.monotonic() > deadline:
                    self._fail(
                        f"a message did not reach both conversation rows within "
                        f"{self.timeout_s:.0f}s ({len(moved)} of 2 moved): is the stream "
                        "processor running (locally: `make local`), and are its errors on the "
                        "dashboard?"
                    )
                    return
                time.sleep(_POLL_S)
        except Exception as error:
            self._fail(f"the smoke conversation could not be written: {_short(error)}")
        finally:
            removed = self._remove(table, group_uuid, (sender, recipient))
            self._log(f"removed the smoke run's {removed} item(s)")

    def _remove(self, table: str, group_uuid: str | None, users: tuple[User, User]) -> int:
        """Delete the smoke group's messages, their message_uuid guards, the smoke users' rows
        and their pair's guard (keys nobody else has: the smoke users are new each run)."""
        client = self._clients("dynamodb")
        keys = [key for user in users for key in _keys(client, table, schema.group_pk(user.uuid))]
        if group_uuid is not None:
            for message in _keys(client, table, schema.message_pk(group_uuid), "message_uuid"):
                message_uuid = message.pop("message_uuid", {}).get("S")
                keys.append(message)
                if message_uuid is not None:
                    keys.append(wire.serialize(guards.message_guard_key(message_uuid)))
        keys.append(wire.serialize(guards.pair_guard_key(users[0].uuid, users[1].uuid)))
        removed = 0
        for key in keys:
            deleted = client.delete_item(TableName=table, Key=key, ReturnValues="ALL_OLD")
            removed += "Attributes" in deleted
        return removed

    def _alarms(self, parts: StackParts) -> None:
        if not parts.alarm_names:
            self._warn(f"stack {parts.stack_name} has no alarms")
            return
        cloudwatch = self._clients("cloudwatch")
        described = {
            alarm["AlarmName"]: alarm
            for chunk in _chunks(list(parts.alarm_names), 100)
            for alarm in cloudwatch.describe_alarms(AlarmNames=chunk)["MetricAlarms"]
        }
        for name in parts.alarm_names:
            if name not in described:
                self._fail(f"alarm {name} of the template does not exist")
            elif described[name]["StateValue"] == "ALARM":
                self._fail(f"alarm {name} is ALARM: {described[name].get('StateReason', '')}")
        states = [alarm["StateValue"] for alarm in described.values()]
        if "ALARM" not in states and len(described) == len(parts.alarm_names):
            waiting = states.count("INSUFFICIENT_DATA")
            note = f", {waiting} without data yet" if waiting else ""
            self._ok(f"{len(states)} alarms, none in ALARM{note}")

    def _subscriptions(self, parts: StackParts) -> None:
        topic = parts.one("AWS::SNS::Topic")
        if topic is None:
            return
        subscriptions = [
            sub
            for page in self._clients("sns")
            .get_paginator("list_subscriptions_by_topic")
            .paginate(TopicArn=topic)
            for sub in page["Subscriptions"]
        ]
        confirmed = [s for s in subscriptions if s["SubscriptionArn"].startswith("arn:")]
        if not confirmed:
            pending = len(subscriptions) - len(confirmed)
            self._warn(
                f"alarm topic {topic} has no confirmed subscription ({pending} pending): nobody "
                "receives the alarms; confirm the e-mail or add alarms.emails in "
                "stacks/settings.py"
            )
            return
        endpoints = ", ".join(sorted(s["Endpoint"] for s in confirmed))
        self._ok(f"alarm topic has {len(confirmed)} confirmed subscription(s): {endpoints}")


def _keys(client: Any, table: str, partition: str, *extra: str) -> Iterator[dict[str, Any]]:
    """The keys of a partition's items (and the `extra` attributes asked for)."""
    names = {"#pk": schema.PARTITION_KEY, "#sk": schema.SORT_KEY}
    names.update({f"#x{n}": name for n, name in enumerate(extra)})
    paginator = client.get_paginator("query")
    for page in paginator.paginate(
        TableName=table,
        KeyConditionExpression="#pk = :pk",
        ExpressionAttributeNames=names,
        ExpressionAttributeValues={":pk": {"S": partition}},
        ProjectionExpression=", ".join(names),
        ConsistentRead=True,
    ):
        yield from page["Items"]


def _chunks(names: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(names), size):
        yield names[start : start + size]


def _short(error: Exception) -> str:
    """One line of an error, as the tools show AWS errors."""
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
