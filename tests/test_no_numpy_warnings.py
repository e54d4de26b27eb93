"""torch never warns about IEEE edge cases; numtorch must not leak NumPy's warnings either."""
import warnings

import numpy as np
import pytest

import numtorch


@pytest.mark.parametrize("expr", [
    lambda t: t.tensor([float("inf"), 0.0]) * 0,
    lambda t: t.log(t.tensor([0.0, -1.0])),
    lambda t: t.exp(t.tensor([1000.0])),
    lambda t: t.tensor([1.0]) / t.tensor([0.0]),
    lambda t: t.tensor([float("inf")]).mul_(0),
])
def test_ieee_edge_cases_are_silent(expr):
    """Every warning NumPy raises inside these ops is attributed to numtorch, so the package's
    filter (re-applied here in front of "error") catches it."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"numtorch(\.|$)")
        expr(numtorch)


def test_package_installs_the_filter():
    """In a plain program (pytest swaps the filter list per test) importing numtorch is enough."""
    import subprocess
    import sys
    code = ("import warnings; warnings.simplefilter('error', RuntimeWarning)\n"
            "import numtorch as t\n"
            "t.tensor([float('inf')]) * 0; t.log(t.tensor([0.0])); print('quiet')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0 and "quiet" in out.stdout, out.stderr


def test_filter_is_scoped_to_numtorch():
    import numtorch  # noqa: F401 - installs the filter
    with pytest.warns(RuntimeWarning):
        np.log(np.array([0.0]))
