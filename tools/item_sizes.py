"""DynamoDB's documented item-size and capacity-unit rules, the one model the tools and the
benchmarks count with (moto reports a flat ConsumedCapacity, not a measure).

Sizes: "DynamoDB item sizes and formats",
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html
Units: "DynamoDB read and write operations",
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, Final

READ_UNIT_BYTES: Final = 4096
WRITE_UNIT_BYTES: Final = 1024
# "Each List or Map element also requires 1 byte of overhead", on top of the container's 3 bytes.
_CONTAINER_OVERHEAD: Final = 3
_ELEMENT_OVERHEAD: Final = 1


def _utf8(text: str) -> int:
    return len(text.encode("utf-8"))


def _number(text: str) -> int:
    """1 byte per two significant digits (leading and trailing zeroes trimmed), plus 1 byte."""
    digits = text.lstrip("-").replace(".", "").strip("0") or "0"
    return math.ceil(len(digits) / 2) + 1


def attribute_size(value: Mapping[str, Any]) -> int:
    """Bytes of one wire-format attribute value, without its name."""
    ((kind, data),) = value.items()
    sizes: dict[str, Callable[[Any], int]] = {
        "S": _utf8,
        "N": _number,
        "B": len,  # the raw bytes, not their base64 form
        "BOOL": lambda _: 1,
        "NULL": lambda _: 1,
        "SS": lambda values: sum(map(_utf8, values)),
        "NS": lambda values: sum(map(_number, values)),
        "BS": lambda values: sum(map(len, values)),
        "L": lambda values: (
            _CONTAINER_OVERHEAD + sum(_ELEMENT_OVERHEAD + attribute_size(v) for v in values)
        ),
        "M": lambda members: (
            _CONTAINER_OVERHEAD
            + sum(_ELEMENT_OVERHEAD + _utf8(k) + attribute_size(v) for k, v in members.items())
        ),
    }
    return sizes[kind](data)


def item_size(item: Mapping[str, Mapping[str, Any]]) -> int:
    """An item's size: its attribute names' UTF-8 lengths plus its values' sizes."""
    return sum(_utf8(name) + attribute_size(value) for name, value in item.items())


def read_units(size: int, *, consistent: bool) -> float:
    """A read (GetItem, or one Query/Scan page by its total size) rounded up to 4 KB, at least one
    unit even when nothing is found; an eventually consistent read costs half."""
    units = max(1, math.ceil(size / READ_UNIT_BYTES))
    return float(units) if consistent else units / 2


def write_units(size: int) -> int:
    """A write rounded up to 1 KB, at least one unit: a put or update by the larger of the item
    before and after, a delete by the deleted item."""
    return max(1, math.ceil(size / WRITE_UNIT_BYTES))
