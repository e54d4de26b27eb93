"""Shared test settings: torch 2.13 is the oracle, single-threaded; hypothesis kept fast."""
import os
import sys

# One BLAS thread per test process: pytest -n 2 on 2 cores with multi-threaded OpenBLAS in each
# worker oversubscribes the CPU and spinning BLAS threads make small matmuls ~1000x slower.
# This must happen before NumPy is first imported.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
if "numpy" in sys.modules:
    import warnings
    warnings.warn("NumPy was imported before tests/conftest.py could limit BLAS threads; tests may be slow")

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
