"""The comparison every output test reads: ``main()`` with default options on
:func:`fake_runs.make_runs`, run once for the package."""

import logging

import pytest

from experiments.compare import main
from tests.experiments.compare.fake_runs import make_runs


@pytest.fixture(scope="package")
def default_outputs(tmp_path_factory):
    """main() with default options on the runs; returns (out folder, log records)."""
    root = make_runs(tmp_path_factory.mktemp("runs"))
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logging.getLogger("experiments.compare").addHandler(handler)
    try:
        out = root / "compare"
        assert main([str(root)]) == 0
    finally:
        logging.getLogger("experiments.compare").removeHandler(handler)
    return out, records
