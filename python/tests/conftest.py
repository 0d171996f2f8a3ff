# Shared fixtures for the Python module's tests: every test that compiles runs in each mode.
import os
import pathlib

import pytest

import kestrel  # noqa: F401  (a missing module fails every test, it does not skip them)

MODES = ["interp", "jit", "tiered"]
ROOT = pathlib.Path(os.environ.get("KESTREL_SOURCE_DIR", pathlib.Path(__file__).parents[2]))


@pytest.fixture(params=MODES)
def mode(request):
    return request.param


@pytest.fixture
def root():
    return ROOT
