import sys

from destkit.cli.main import main

sys.exit(main())
