"""DynamoDB's prices, in one place: US East (N. Virginia), standard table class.

Source: "Amazon DynamoDB pricing", https://aws.amazon.com/dynamodb/pricing/on-demand/ and
https://aws.amazon.com/dynamodb/pricing/provisioned/: the figures in force since DynamoDB halved
on-demand throughput prices on 2024-11-01. They were not re-read from those pages when this was
written (this machine reaches no AWS site): check them before quoting a bill. Reserved capacity,
the free tier and Database Savings Plans are left out: the comparison is list price against list
price. Change a price here and `python -m tools.capacity_model.doc` regenerates docs/capacity.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

SOURCE_URLS: Final = (
    "https://aws.amazon.com/dynamodb/pricing/on-demand/",
    "https://aws.amazon.com/dynamodb/pricing/provisioned/",
)
PRICES_IN_FORCE_SINCE: Final = "2024-11-01"
# AWS bills provisioned capacity by the hour; a month is 730 hours in AWS's own calculator.
HOURS_PER_MONTH: Final = 730


@dataclass(frozen=True, kw_only=True)
class Prices:
    """US dollars for one region's throughput and storage."""

    region: str
    write_request_per_million: float  # on demand: one write request unit (1 KB)
    read_request_per_million: float  # on demand: one read request unit (4 KB, strong)
    wcu_hour: float  # provisioned: one write capacity unit for an hour
    rcu_hour: float  # provisioned: one read capacity unit for an hour
    storage_gb_month: float


US_EAST_1: Final = Prices(
    region="us-east-1",
    write_request_per_million=0.625,
    read_request_per_million=0.125,
    wcu_hour=0.00065,
    rcu_hour=0.00013,
    storage_gb_month=0.25,
)
