"""DynamoDB's documented item-size and capacity rules, for counting what a benchmark's requests
cost (moto's ConsumedCapacity is a constant, not a measure)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, Final

WRITE_UNIT_BYTES: Final = 1024
READ_UNIT_BYTES: Final = 4096


def _number_size(text: str) -> int:
    digits = text.lstrip("-").replace(".", "").strip("0") or "0"
    return (len(digits) + 1) // 2 + 1


def attribute_size(value: Mapping[str, Any]) -> int:
    """Bytes of one typed attribute value (without its name)."""
    ((kind, content),) = value.items()
    sizes: dict[str, Callable[[], int]] = {
        "S": lambda: len(content.encode()),
        "N": lambda: _number_size(content),
        "B": lambda: len(content),
        "BOOL": lambda: 1,
        "NULL": lambda: 1,
        "SS": lambda: sum(len(s.encode()) for s in content),
        "NS": lambda: sum(_number_size(n) for n in content),
        "BS": lambda: sum(len(b) for b in content),
        "L": lambda: 3 + sum(attribute_size(v) for v in content),
        "M": lambda: 3 + item_size(content),
    }
    return sizes[kind]()


def item_size(item: Mapping[str, Any]) -> int:
    """An item's size: the UTF-8 lengths of its attribute names plus its values' sizes."""
    return sum(len(name.encode()) + attribute_size(value) for name, value in item.items())


def write_units(size: int) -> int:
    return max(1, math.ceil(size / WRITE_UNIT_BYTES))


def eventually_consistent_read_units(total_size: int) -> float:
    return 0.5 * max(1, math.ceil(total_size / READ_UNIT_BYTES))
