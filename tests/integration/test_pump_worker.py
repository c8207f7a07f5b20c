"""The local cloud runs a function as Lambda does: its own process under the runtime interface
client, Lambda's environment and nothing else, its Timeout and MemorySize enforced, its log lines
in its log group. Small test-only packages, zipped here and extracted as a deployed one is
(local/runtime/function.py), run in an ExecutionEnvironment; the pump tests use a real stream
(moto over HTTP)."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import textwrap
import threading
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pumps import mapping_pump

from cruddur_messages import schema
from local import cloud
from local.pump import StreamGoneError, StreamPump, latest_stream
from local.runtime.function import FunctionConfig, extract
from local.runtime.worker import ExecutionEnvironment, FunctionError, InitError
from local.stream_events import stream_arn
from tools import failure_records

FUNCTION_ARN = "arn:aws:lambda:us-east-1:000000000000:function:test-function"
# Lambda's "Defined runtime environment variables" for a Python function, as the worker sets them
# (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime):
# the reserved ones (_X_AMZN_TRACE_ID only when a trace header comes; none does here), the
# unreserved LANG, PATH, PYTHONPATH and TZ, and the local cloud's AWS_ENDPOINT_URL.
LAMBDA_VARIABLES = {
    "_HANDLER",
    "AWS_ACCESS_KEY_ID",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_FORMAT",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_LEVEL",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_LAMBDA_RUNTIME_API",
    "AWS_REGION",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "LAMBDA_RUNTIME_DIR",
    "LAMBDA_TASK_ROOT",
    "LANG",
    "PATH",
    "PYTHONPATH",
    "TZ",
}
LOG_STREAM_NAME = re.compile(r"^\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}$")

APP = """
import json, logging, os, sys, time, uuid
INIT_ID = str(uuid.uuid4())
logger = logging.getLogger()

def handler(event, context):
    records = event.get("Records", [])
    texts = [r["dynamodb"]["NewImage"]["message"]["S"] for r in records]
    logger.info("batch of %d", len(records))
    if "slow" in texts:
        time.sleep(60)
    if "hog" in texts:
        hoard = bytearray(400 * 1024 * 1024)
        hoard[::4096] = b"x" * len(hoard[::4096])
    return {
        "init": INIT_ID,
        "environ": dict(os.environ),
        "path": sys.path,
        "remaining": context.get_remaining_time_in_millis(),
    }
"""


def _package(tmp_path: Path, source: str) -> Path:
    """`source` as app.py in a zip, extracted as the local cloud extracts a deployed package."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", textwrap.dedent(source))
    data = buffer.getvalue()
    sha = base64.b64encode(hashlib.sha256(data).digest()).decode()
    return extract(data, sha, tmp_path / "functions")


def _config(**overrides: Any) -> FunctionConfig:
    settings: dict[str, Any] = {
        "name": "test-function",
        "arn": FUNCTION_ARN,
        "handler": "app.handler",
        "environment": {"GREETING": "hello"},
        "timeout_s": 3,
        "memory_mb": 256,
        "code_sha256": "test",
        "log_format": "JSON",
        "log_level": "INFO",
        "log_group": f"/aws/lambda/test-{uuid.uuid4().hex[:8]}",
    }
    settings.update(overrides)
    return FunctionConfig(**settings)


@pytest.fixture
def lines() -> list[str]:
    return []


@pytest.fixture
def environment_factory(
    moto_endpoint: str, tmp_path: Path, lines: list[str]
) -> Iterator[Callable[..., ExecutionEnvironment]]:
    made: list[ExecutionEnvironment] = []

    def make(source: str = APP, **overrides: Any) -> ExecutionEnvironment:
        environment = ExecutionEnvironment(
            _config(**overrides),
            _package(tmp_path, source),
            endpoint=moto_endpoint,
            credentials=cloud.DUMMY_CREDENTIALS,
            logs_client=cloud.developer(moto_endpoint)("logs"),
            echo=lines.append,
        )
        made.append(environment)
        return environment

    yield make
    for environment in made:
        environment.close()


def _event(*texts: str) -> dict[str, Any]:
    return {"Records": [{"dynamodb": {"NewImage": {"message": {"S": text}}}} for text in texts]}


def test_a_warm_worker_serves_many_invocations_with_one_init(
    environment_factory: Callable[..., ExecutionEnvironment],
) -> None:
    environment = environment_factory()

    answers = [environment(_event("hi")) for _ in range(20)]

    assert environment.inits == 1
    assert len({answer["init"] for answer in answers}) == 1
    assert 0 < answers[-1]["remaining"] <= 3000


def test_the_function_sees_exactly_lambdas_variables_and_path(
    environment_factory: Callable[..., ExecutionEnvironment], moto_endpoint: str
) -> None:
    environment = environment_factory()

    answer = environment(_event("hi"))

    environ = answer["environ"]
    assert set(environ) == LAMBDA_VARIABLES | {"GREETING"}
    assert environ["GREETING"] == "hello"
    assert environ["AWS_ENDPOINT_URL"] == moto_endpoint
    assert environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert environ["LAMBDA_TASK_ROOT"] == str(environment.task_root)
    assert LOG_STREAM_NAME.match(environ["AWS_LAMBDA_LOG_STREAM_NAME"])
    # The task root, the runtime's libraries and the standard library: no site-packages.
    path = [entry for entry in answer["path"] if entry]
    assert path[:2] == [str(environment.task_root), str(environment.runtime_dir)]
    assert not [entry for entry in path if "site-packages" in entry]


def test_role_credentials_replace_the_local_ones(moto_endpoint: str, tmp_path: Path) -> None:
    session = {
        "AWS_ACCESS_KEY_ID": "ASIAROLE",
        "AWS_SECRET_ACCESS_KEY": "secret",
        "AWS_SESSION_TOKEN": "token",
    }
    with ExecutionEnvironment(
        _config(),
        _package(tmp_path, APP),
        endpoint=moto_endpoint,
        credentials=session,
        echo=lambda _line: None,
    ) as environment:
        environ = environment(_event("hi"))["environ"]

    assert {name: environ[name] for name in session} == session
    with pytest.raises(ValueError, match="credentials take only"):
        ExecutionEnvironment(
            _config(), tmp_path, endpoint=moto_endpoint, credentials={"AWS_PROFILE": "dev"}
        )


def test_json_log_lines_reach_the_log_group(
    environment_factory: Callable[..., ExecutionEnvironment], moto_endpoint: str, lines: list[str]
) -> None:
    environment = environment_factory()
    environment(_event("a", "b"))
    group = environment.config.log_group
    environment.close()  # flushes the stream

    logs = cloud.developer(moto_endpoint)("logs")
    (stream,) = logs.describe_log_streams(logGroupName=group)["logStreams"]
    assert LOG_STREAM_NAME.match(stream["logStreamName"])
    events = logs.get_log_events(logGroupName=group, logStreamName=stream["logStreamName"])
    documents = [json.loads(event["message"]) for event in events["events"]]
    app_lines = [d for d in documents if d.get("message") == "batch of 2"]
    (line,) = app_lines
    assert line["level"] == "INFO"
    assert "requestId" in line
    assert any(d.get("type") == "platform.report" for d in documents)
    assert any("batch of 2" in line for line in lines)  # and to the terminal, one line each


def test_a_timeout_kills_the_worker_and_the_next_invocation_starts_cold(
    environment_factory: Callable[..., ExecutionEnvironment], lines: list[str]
) -> None:
    environment = environment_factory(timeout_s=1)
    environment(_event("warm"))

    started = time.monotonic()
    with pytest.raises(FunctionError, match=r"Task timed out after 1\.\d\d seconds"):
        environment(_event("slow"))
    assert time.monotonic() - started < 5
    assert any(re.search(r"Task timed out after 1\.\d\d seconds", line) for line in lines)

    environment(_event("after"))
    assert environment.inits == 2
    assert environment.last_report["cold"]


def test_outgrowing_memory_size_is_an_error_and_a_cold_start(
    environment_factory: Callable[..., ExecutionEnvironment],
) -> None:
    environment = environment_factory(memory_mb=128)

    with pytest.raises(FunctionError, match="Runtime exited with error: signal: killed"):
        environment(_event("hog"))

    environment(_event("after"))
    assert environment.inits == 2


# -- through the pump, on a real stream ------------------------------------------------------


@pytest.fixture
def bucket(moto_endpoint: str) -> str:
    name = f"pump-failures-{uuid.uuid4().hex[:8]}"
    cloud.developer(moto_endpoint)("s3").create_bucket(Bucket=name)
    return name


def _pump(
    endpoint: str, arn: str, handler: Any, checkpoint_file: Path, **overrides: Any
) -> StreamPump:
    """One retry: these tests count invocations."""
    return mapping_pump(
        endpoint, arn, handler, checkpoint_file, **{"max_retry_attempts": 1, **overrides}
    )


def test_a_timed_out_batch_is_retried_bisected_and_kept_in_s3(  # noqa: PLR0917 - fixtures
    environment_factory: Callable[..., ExecutionEnvironment],
    moto_endpoint: str,
    dynamodb_client: Any,
    table_name: str,
    write: Callable[..., None],
    bucket: str,
    tmp_path: Path,
) -> None:
    """The slow record's batch times out; bisecting isolates it, its retry times out too, and
    it goes to the S3 destination as Lambda writes it (key layout, record, whole payload)."""
    environment = environment_factory(timeout_s=1)
    arn = stream_arn(dynamodb_client, table_name)
    write("fine")
    write("slow")
    pump = _pump(
        moto_endpoint,
        arn,
        environment,
        tmp_path / "cp.json",
        on_failure_arn=f"arn:aws:s3:::{bucket}",
    )

    stats = pump.run_until_idle(timeout_s=60)

    assert stats.records_done == 1
    assert stats.records_sent_to_failure == 1
    # [fine, slow] timed out; cold: [fine] ok, [slow] timed out; cold: its retry timed out.
    assert environment.inits == 3
    environment(_event("next"))
    assert environment.inits == 4
    assert environment.last_report["cold"]
    s3 = cloud.developer(moto_endpoint)("s3")
    (obj,) = s3.list_objects_v2(Bucket=bucket)["Contents"]
    shard_id = stats.failure_messages[0]["DDBStreamBatchInfo"]["shardId"]
    expected = failure_records.object_key(pump.mapping.uuid, shard_id, datetime.now(UTC))
    assert obj["Key"].rsplit("/", 1)[0] == expected.rsplit("/", 1)[0]
    assert re.fullmatch(
        r"\d{4}-\d{2}-\d{2}T\d{2}\.\d{2}\.\d{2}-[0-9a-f-]{36}", obj["Key"].rsplit("/", 1)[1]
    )
    document = json.loads(s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read())
    assert document["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert document["responseContext"]["functionError"] == "Unhandled"
    assert document["DDBStreamBatchInfo"]["batchSize"] == 1
    (record,) = json.loads(document["payload"])["Records"]
    assert record["dynamodb"]["NewImage"]["message"]["S"] == "slow"


def test_an_init_error_checkpoints_nothing_and_loses_no_record(  # noqa: PLR0917 - fixtures
    environment_factory: Callable[..., ExecutionEnvironment],
    moto_endpoint: str,
    dynamodb_client: Any,
    table_name: str,
    write: Callable[..., None],
    tmp_path: Path,
    lines: list[str],
) -> None:
    broken = environment_factory("import no_such_module\ndef handler(event, context): ...\n")
    arn = stream_arn(dynamodb_client, table_name)
    write("one")
    write("two")
    checkpoint_file = tmp_path / "cp.json"

    with pytest.raises(InitError, match=r"Runtime\.ImportModuleError"):
        _pump(moto_endpoint, arn, broken, checkpoint_file).run_until_idle()

    assert not checkpoint_file.exists()
    assert any("Status: error" in line and "Runtime.ImportModuleError" in line for line in lines)
    fixed = environment_factory()
    stats = _pump(moto_endpoint, arn, fixed, checkpoint_file).run_until_idle()
    assert stats.records_done == 2


def test_items_with_binary_attributes_do_not_stop_the_pump(
    dynamodb_client: Any,
    table_name: str,
    write: Callable[..., None],
    moto_endpoint: str,
    tmp_path: Path,
) -> None:
    """Binary attributes under any key (another writer's items) reach the function base64, as in
    Lambda's event, and the pump goes on."""
    arn = stream_arn(dynamodb_client, table_name)
    dynamodb_client.put_item(
        TableName=table_name,
        Item={"pk": {"S": "ADMIN#note"}, "sk": {"S": "x"}, "blob": {"B": b"\x01"}},
    )
    write("with a blob", blob={"B": b"\x01"})
    seen: list[dict[str, Any]] = []

    def handler(event: dict[str, Any], _context: Any) -> dict[str, Any]:
        seen.extend(event["Records"])
        return {"batchItemFailures": []}

    stats = _pump(moto_endpoint, arn, handler, tmp_path / "cp.json").run_until_idle()

    assert stats.records_done == 1
    assert stats.records_filtered_out == 1
    assert seen[0]["dynamodb"]["NewImage"]["blob"] == {"B": "AQ=="}


def test_the_pump_survives_its_table_being_dropped_and_follows_the_new_one(
    dynamodb_client: Any, moto_endpoint: str, tmp_path: Path
) -> None:
    name = f"{schema.TABLE_NAME_DEFAULT}-{uuid.uuid4().hex[:8]}"
    dynamodb_client.create_table(**schema.create_table_kwargs(name))
    delivered: list[str] = []
    said: list[str] = []

    def handler(event: dict[str, Any], _context: Any) -> dict[str, Any]:
        delivered.extend(r["dynamodb"]["NewImage"]["message"]["S"] for r in event["Records"])
        return {"batchItemFailures": []}

    def put(text: str) -> None:
        dynamodb_client.put_item(
            TableName=name,
            Item={
                "pk": {"S": schema.message_pk(str(uuid.uuid4()))},
                "sk": {"S": f"{time.time_ns():024d}"},
                "message": {"S": text},
            },
        )

    pump = _pump(
        moto_endpoint,
        latest_stream(cloud.developer(moto_endpoint), name),
        handler,
        tmp_path / "cp.json",
        follow_stream=lambda: latest_stream(cloud.developer(moto_endpoint), name),
        log=said.append,
    )
    put("before")
    pump.run_until_idle()
    dynamodb_client.delete_table(TableName=name)
    with pytest.raises(StreamGoneError):
        pump.run_once()

    stop = threading.Event()
    runner = threading.Thread(target=pump.run_forever, args=(stop,))
    runner.start()
    try:
        deadline = time.monotonic() + 10
        while not any("stream is gone" in line for line in said) and time.monotonic() < deadline:
            time.sleep(0.05)
        dynamodb_client.create_table(**schema.create_table_kwargs(name))
        put("after")
        deadline = time.monotonic() + 20
        while "after" not in delivered and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        stop.set()
        runner.join(timeout=10)
        dynamodb_client.delete_table(TableName=name)

    assert delivered == ["before", "after"]
    gone, followed = [line for line in said if "stream" in line]
    assert "the mapping's stream is gone" in gone
    assert f"bin/ddb/schema-load --table {name}" in gone
    assert "following its new stream" in followed
