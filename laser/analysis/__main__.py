"""``python -m laser.analysis``: see :mod:`laser.analysis.cli`."""

from laser.analysis.cli import main

main()
