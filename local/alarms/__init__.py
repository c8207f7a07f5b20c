"""The deployed alarms, evaluated as CloudWatch evaluates them, on the local cloud's metrics.

`evaluation` decides a state from an alarm's datapoints (pure); `evaluator` reads the alarms and
metrics from the local CloudWatch, records each state change on the alarm and publishes it to
the alarm's topics.
"""

from local.alarms.evaluator import AlarmEvaluator, Transition, real_period_s

__all__ = ["AlarmEvaluator", "Transition", "real_period_s"]
