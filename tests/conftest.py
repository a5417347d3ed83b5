"""Shared test options: ``--runslow`` and reproducible seeds."""

import os

import pytest


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", default=False,
                     help="also run tests marked slow (hundreds of seeds, big configs)")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--runslow"):
        return
    slow = [item for item in items if "slow" in item.keywords]
    if slow:
        # Deselected, not skipped: they are neither run nor reported as passing.
        config.hook.pytest_deselected(items=slow)
        items[:] = [item for item in items if "slow" not in item.keywords]


def pytest_report_header(config):
    if not config.getoption("--runslow"):
        return "slow tests deselected (run them with --runslow)"


@pytest.fixture
def seed(request):
    """The seed of a randomized test: its parameter, or SPIKECORE_SEED to rerun one.

    It is printed, so a failure report always shows how to reproduce it.
    """
    value = getattr(request, "param", None)
    if "SPIKECORE_SEED" in os.environ:
        value = int(os.environ["SPIKECORE_SEED"])
    if value is None:
        value = 1
    print(f"seed={value} (rerun: SPIKECORE_SEED={value} pytest '{request.node.nodeid}')")
    return value
