"""The one size model against the rules and worked examples on DynamoDB's pages: "DynamoDB item
sizes and formats" (CapacityUnitCalculations.html) and "DynamoDB read and write operations"
(read-write-operations.html)."""

from __future__ import annotations

import pytest

from tools.item_sizes import attribute_size, item_size, read_units, write_units

KB = 1024


@pytest.mark.parametrize(
    ("value", "size"),
    [
        ({"S": "héllo"}, 6),  # UTF-8 bytes, not characters
        ({"N": "12345"}, 4),  # 3 bytes for 5 significant digits, plus 1
        ({"N": "-0012.3400"}, 3),  # leading and trailing zeroes trimmed: 1234
        ({"N": "0"}, 2),
        ({"B": b"\x00\x01\x02"}, 3),  # raw bytes, not base64
        ({"BOOL": True}, 1),
        ({"NULL": True}, 1),
        ({"SS": ["ab", "c"]}, 3),
        ({"L": []}, 3),  # an empty List or Map is its 3 bytes of overhead
        ({"M": {}}, 3),
        # 3 bytes, then per element 1 byte plus its size: "ab" (2) and 7 (2)
        ({"L": [{"S": "ab"}, {"N": "7"}]}, 3 + (1 + 2) + (1 + 2)),
        # a map element is its name and its value, plus the element's byte
        ({"M": {"k": {"S": "v"}, "nn": {"BOOL": False}}}, 3 + (1 + 1 + 1) + (1 + 2 + 1)),
        ({"L": [{"M": {"a": {"NULL": True}}}]}, 3 + 1 + (3 + 1 + 1 + 1)),
    ],
)
def test_attribute_sizes_follow_the_documented_rules(value: dict[str, object], size: int) -> None:
    assert attribute_size(value) == size


def test_an_item_is_its_names_plus_its_values() -> None:
    item = {"pk": {"S": "GRP#x"}, "n": {"N": "10"}, "tags": {"L": [{"S": "a"}]}}
    assert item_size(item) == (2 + 5) + (1 + 2) + (4 + 3 + 1 + 1)


@pytest.mark.parametrize(
    ("size", "consistent", "units"),
    [
        (3500, True, 1.0),  # "reading a 3,500-byte item consumes the same as reading a 4 KB item"
        (8 * KB, True, 2.0),  # "8 KB: 2 read units strongly consistent ..."
        (8 * KB, False, 1.0),  # "... 1 read unit eventually consistent"
        (10 * KB, True, 3.0),  # "a 10 KB item is rounded up to 12 KB"
        (0, False, 0.5),  # nothing found still consumes the minimum
        (0, True, 1.0),
    ],
)
def test_read_units(size: int, consistent: bool, units: float) -> None:
    assert read_units(size, consistent=consistent) == units


def test_batch_get_rounds_each_item_before_adding() -> None:
    # "BatchGetItem reads a 1.5 KB item and a 6.5 KB item: 12 KB (4 KB + 8 KB), not 8 KB"
    each = read_units(1536, consistent=True) + read_units(6656, consistent=True)
    assert each == 3.0 and read_units(1536 + 6656, consistent=True) == 2.0


@pytest.mark.parametrize(("size", "units"), [(0, 1), (500, 1), (KB, 1), (KB + 1, 2), (2560, 3)])
def test_write_units_round_up_to_one_kb(size: int, units: int) -> None:
    assert write_units(size) == units
