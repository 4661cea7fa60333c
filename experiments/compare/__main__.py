"""``python -m experiments.compare``: see :mod:`experiments.compare.cli`."""

import sys

from experiments.compare.cli import main

sys.exit(main())
