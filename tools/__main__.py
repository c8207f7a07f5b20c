"""`python -m tools <command>`: the entry point every `bin/ddb/*` script execs."""

from tools.cli import main

if __name__ == "__main__":
    main()
