"""The capacity model: what each operation costs in read and write units (operations), for items
built by the code that writes them (shapes), summed over a traffic profile (plan), priced (prices),
and held against a stage's settings (stages). `bin/ddb/capacity`, `make bench` and
docs/capacity.md share it."""
