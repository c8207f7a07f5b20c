"""S3's daily storage metrics, which the dashboard's failure-bucket widget reads.

Amazon S3 user guide, "Metrics and dimensions" (metrics-dimensions.html): BucketSizeBytes
(StorageType StandardStorage) and NumberOfObjects (StorageType AllStorageTypes), dimension
BucketName, reported once a day. The local cloud counts each bucket's objects when the
evaluator starts and once per (simulated) day after.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

NAMESPACE: Final = "AWS/S3"
DAY_S: Final = 86_400


def publish_bucket_metrics(s3: Any, cloudwatch: Any) -> int:
    """Put every bucket's object count and size; the number of buckets measured."""
    now = datetime.now(tz=UTC)
    buckets = [bucket["Name"] for bucket in s3.list_buckets().get("Buckets", [])]
    for bucket in buckets:
        count = size = 0
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for item in page.get("Contents", []):
                count += 1
                size += int(item.get("Size", 0))
        cloudwatch.put_metric_data(
            Namespace=NAMESPACE,
            MetricData=[
                _datapoint(bucket, "NumberOfObjects", "AllStorageTypes", count, "Count", at=now),
                _datapoint(bucket, "BucketSizeBytes", "StandardStorage", size, "Bytes", at=now),
            ],
        )
    return len(buckets)


def _datapoint(
    bucket: str, name: str, storage_type: str, value: int, unit: str, *, at: datetime
) -> dict[str, Any]:
    return {
        "MetricName": name,
        "Dimensions": [
            {"Name": "BucketName", "Value": bucket},
            {"Name": "StorageType", "Value": storage_type},
        ],
        "Timestamp": at,
        "Value": float(value),
        "Unit": unit,
    }
