"""``python -m optimize.cli``: the same as the ``staffcast`` console script."""

import sys

from optimize.cli.main import main

sys.exit(main())
