"""Tests that start real processes (workers, `make run`'s server): the slow tier."""

import pytest


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/processes" in str(item.fspath):
            item.add_marker(pytest.mark.process)
