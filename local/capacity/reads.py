"""The items a Query or Scan page reads, which is what DynamoDB charges for: all of them, before
the filter expression drops some and the projection trims the rest ("Query and Scan: the read
is charged by the items read, not returned", read-write-operations.html#read-operation-consumption).

moto applies the filter and the projection inside `Table.query`/`Table.scan`; the wrapper runs
moto's own method without them, records the size of each item (or index entry) it read, then
applies them exactly as moto does. Outside a metered request it calls moto's method untouched.
"""

from __future__ import annotations

import inspect
import threading
import time
from typing import Any

from moto.dynamodb.models.table import Table

from local.capacity.deployed import wire
from tools.item_sizes import item_size


class PageSizes(threading.local):
    """The sizes read by the page being served; None when no metered request runs. Per thread:
    two endpoints in one process (a test's own next to the session's) serve requests at once."""

    sizes: list[int] | None = None
    seconds: float = 0.0  # spent sizing them: the meter's time, not moto's


PAGE = PageSizes()

_PATCHED = "_local_capacity_reads"


def _wrap(original: Any, projection_argument: str) -> Any:
    signature = inspect.signature(original)

    def read_then_filter(self: Table, *args: Any, **kwargs: Any) -> Any:
        if PAGE.sizes is None:
            return original(self, *args, **kwargs)
        bound = signature.bind(self, *args, **kwargs)
        filter_expression = bound.arguments.get("filter_expression")
        projection = bound.arguments.get(projection_argument)
        bound.arguments["filter_expression"] = None
        bound.arguments[projection_argument] = None
        results, scanned_count, last_evaluated_key = original(*bound.args, **bound.kwargs)
        started = time.perf_counter()
        PAGE.sizes.extend(item_size(wire(item.to_json()["Attributes"])) for item in results)
        PAGE.seconds += time.perf_counter() - started
        if filter_expression is not None:
            results = [item for item in results if filter_expression.expr(item)]
        if projection:
            results = [item.project(projection) for item in results]
        return results, scanned_count, last_evaluated_key

    setattr(read_then_filter, _PATCHED, True)
    return read_then_filter


def install() -> None:
    """Wrap moto's Table.query and Table.scan once per process."""
    if getattr(Table.query, _PATCHED, False):
        return
    Table.query = _wrap(Table.query, "projection_expressions")  # type: ignore[method-assign]
    Table.scan = _wrap(Table.scan, "projection_expression")  # type: ignore[method-assign]
