"""One module per group of commands; cli.py registers them under the course's names."""
