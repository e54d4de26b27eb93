"""Shared test settings: torch 2.13 is the oracle, single-threaded; hypothesis kept fast."""
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("numtorch", max_examples=12, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "numtorch"))

torch = pytest.importorskip("torch")
torch.set_num_threads(1)


@pytest.fixture
def rng():
    return np.random.default_rng(0)
