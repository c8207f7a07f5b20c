"""Benchmarks: `python -m bench.processor_bench` (the stream processor against the course's)."""
