"""The store refuses what DynamoDB would refuse, before any request, naming the field.

The client is a real boto3 client under botocore's Stubber with nothing queued: a request would
fail with the Stubber's own error, not the ValueError these tests expect.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from cruddur_messages import schema
from cruddur_messages.models import User
from cruddur_messages.store import MessageStore

ANDREW = User(uuid="3c2e4d29-4a8a-4c45-9b1f-1d0b2a3b4c5d", display_name="Andrew", handle="andrew")
BAYKO = User(uuid="9f4a7a36-2f41-4b4f-8c4c-0a0d6c3c2b1a", display_name="Bayko", handle="bayko")
GROUP = "5ae290ed-55d1-47a0-bc6d-fe2bc2700399"
LONE_SURROGATE = "hi \ud83d there"  # half of an emoji's UTF-16 pair: no UTF-8 form


def offline_client() -> Any:
    return boto3.client(
        "dynamodb", region_name="us-east-1", aws_access_key_id="u", aws_secret_access_key="u"
    )


@pytest.fixture
def store() -> Iterator[MessageStore]:
    with Stubber(offline_client()) as stub:
        yield MessageStore(stub.client, table_name="messages")
        stub.assert_no_pending_responses()


def test_text_with_a_lone_surrogate_is_refused_before_any_request(store: MessageStore) -> None:
    with pytest.raises(ValueError, match=r"message text is not valid Unicode.*position 3"):
        store.create_message(GROUP, ANDREW, LONE_SURROGATE)
    with pytest.raises(ValueError, match="message text is not valid Unicode"):
        store.create_message_group(ANDREW, BAYKO, LONE_SURROGATE)


def test_the_surrogate_check_accepts_real_astral_characters(store: MessageStore) -> None:
    """The same emoji, whole, is fine: the check is for unpaired halves only."""
    with pytest.raises(ValueError, match="sender and recipient"):  # got past the text check
        store.create_message_group(ANDREW, ANDREW, "hi \U0001f600 there")


@pytest.mark.parametrize("field", ["display_name", "handle"])
def test_a_user_with_a_lone_surrogate_is_refused(field: str) -> None:
    values = {"uuid": ANDREW.uuid, "display_name": "Andrew", "handle": "andrew"}
    values[field] = "a\udc00b"
    with pytest.raises(ValueError, match=f"user {field} is not valid Unicode"):
        User(**values)


@pytest.mark.parametrize("handle", ["@ a:b", "@andrew", "an drew", "a:b", "andrew!", "ändrew"])
def test_malformed_handles_are_refused(handle: str) -> None:
    with pytest.raises(ValueError, match=r"user handle .* must be letters, digits or _"):
        User(uuid=ANDREW.uuid, display_name="Andrew", handle=handle)


@pytest.mark.parametrize(
    ("value", "message"),
    [(42, "user display_name must be a string, got int"), (None, "must be a string")],
)
def test_a_display_name_of_another_type_is_a_type_error_not_empty(
    value: object, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        User(uuid=ANDREW.uuid, display_name=value, handle="andrew")  # type: ignore[arg-type]


def test_an_empty_table_name_is_refused_not_defaulted() -> None:
    with pytest.raises(ValueError, match="table_name is empty"):
        MessageStore(offline_client(), table_name="")


@pytest.mark.parametrize("name", ["ab", "x" * 256, "my table", "cruddur/messages", "tbl\ud800"])
def test_table_names_outside_dynamodbs_rules_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match=r"table_name .* is not a DynamoDB name"):
        MessageStore(offline_client(), table_name=name)


def test_the_longest_legal_table_name_is_accepted() -> None:
    name = "a-b_c." + "x" * 249
    assert MessageStore(offline_client(), table_name=name).table_name == name


def test_a_bad_index_name_from_the_environment_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(schema.GSI_NAME_ENV, "no spaces allowed")
    with pytest.raises(ValueError, match="index_name"):
        MessageStore(offline_client(), table_name="messages")
