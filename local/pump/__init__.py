"""The stream pump: the deployed DynamoDB event source mapping, played by this process.

moto stores the mapping but runs nothing for it (it would need Docker), so the pump does what
Lambda's poller does, reading every setting from the mapping the deploy created:

- shards are read in order (a parent before its children), each from its checkpoint (AFTER that
  sequence number) or, on the first run, from the mapping's StartingPosition;
- records that do not match any FilterCriteria pattern (moto's matcher of the same pattern
  language) are dropped and count as processed; the others are batched up to BatchSize, waiting
  up to MaximumBatchingWindowInSeconds for a batch to fill;
- the batch goes to the deployed function, run in its own execution environment (a worker
  process under the runtime interface client, local/runtime/) with its Timeout and MemorySize;
- with ReportBatchItemFailures, the records before the lowest reported sequence number are done
  and only that record and the ones after it are retried; an error, a timeout or an unusable
  response fails the whole batch;
- a failure that made no progress bisects the batch (BisectBatchOnFunctionError; bisecting is not
  a retry), otherwise the rest is retried up to MaximumRetryAttempts; records older than
  MaximumRecordAgeInSeconds are not retried. What still fails goes to the on-failure destination
  (an S3 bucket gets the record and the whole event, SQS a pointer; failures.py) and the pump
  goes on. A function that cannot even start (init error) is not a failure of the batch: nothing
  is checkpointed and the pump tries again later;
- as in Lambda, the mapping's own calls (stream reads, failure delivery, log shipping) run as the
  function's execution role and are authorized by the local endpoint (local/authz): without the
  stream's read permissions the mapping reports a problem (MappingProblem, "PROBLEM: ...") and
  reads nothing; a failure record the destination refuses is dropped and said so (Lambda's
  DroppedEventCount). Table mode (no deployment) runs as the developer;
- the position (last sequence number done, per shard) is written atomically to a checkpoint file
  after each batch, so a restarted pump redelivers at most the batch that was in flight, and
  never one that finished. Redelivery is at-least-once, as in Lambda: the handler's writes are
  idempotent, which makes each message's effect exactly-once.

The package, along its seams: mapping.py (what to play), checkpoints.py (where it is),
engine.py (reading and running; it holds one Delivery), delivery.py (batches, retries,
bisecting), failures.py (what it gives up on), functions.py (what it runs), replay.py, cli.py.
"""

from local.pump.checkpoints import Checkpoints, checkpoint_path, deployment_checkpoint_path
from local.pump.delivery import PumpStats
from local.pump.engine import DEFAULT_STATE_DIR, MappingProblem, StreamGoneError, StreamPump
from local.pump.functions import PROJECT_ROOT, TABLE_MODE_HANDLER
from local.pump.mapping import (
    TABLE_MODE_DEFAULTS,
    MappingSettings,
    PumpError,
    find_mapping,
    latest_stream,
    table_mapping,
)
from local.pump.replay import replay_records

__all__ = [
    "DEFAULT_STATE_DIR",
    "PROJECT_ROOT",
    "TABLE_MODE_DEFAULTS",
    "TABLE_MODE_HANDLER",
    "Checkpoints",
    "MappingProblem",
    "MappingSettings",
    "PumpError",
    "PumpStats",
    "StreamGoneError",
    "StreamPump",
    "checkpoint_path",
    "deployment_checkpoint_path",
    "find_mapping",
    "latest_stream",
    "replay_records",
    "table_mapping",
]
