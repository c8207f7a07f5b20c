import sys

from local.pump.cli import main

sys.exit(main())
