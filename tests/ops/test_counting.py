"""bincount, histc, isin, tril/triu_indices, gcd, lcm, nextafter against torch: values, dtypes, errors."""
import numpy as np
import pytest
import torch

import numtorch


def _outcome(fn, mod):
    try:
        r = fn(mod)
    except Exception as e:  # noqa: BLE001 - the exception type is compared
        return type(e).__name__, str(e)
    if isinstance(r, (mod.Tensor,)):
        return np.asarray(r.tolist()).tolist(), str(r.dtype).split(".")[1]
    return r


T = lambda m, *a, **k: m.tensor(*a, **k)  # noqa: E731
CASES = {
    "histc_int": lambda m: m.histc(T(m, [1, 2, 3]), 3),
    "histc": lambda m: m.histc(T(m, [1.0, 2, 3, 3, 0.5, 4]), 3, 1, 3),
    "histc_auto": lambda m: m.histc(T(m, [1.0, 1.0]), 4),
    "histc_range": lambda m: T(m, [0.1, 0.35, 0.9, -2.0, 5.0], dtype=m.float64).histc(bins=5, min=-1, max=1),
    "histc_empty": lambda m: m.histc(T(m, []), 4),
    "histc_bad": lambda m: m.histc(T(m, [1.0, 2.0]), 4, 3, 1),
    "histc_bins": lambda m: m.histc(T(m, [1.0, 2.0]), -1),
    "bincount": lambda m: m.bincount(T(m, [1, 3, 3, 0])),
    "bincount_neg": lambda m: m.bincount(T(m, [-1])),
    "bincount_float": lambda m: m.bincount(T(m, [1.0])),
    "bincount_2d": lambda m: m.bincount(T(m, [[1]])),
    "bincount_min": lambda m: T(m, [1, 3]).bincount(minlength=6),
    "bincount_min_neg": lambda m: m.bincount(T(m, [1, 3]), minlength=-1),
    "bincount_w": lambda m: m.bincount(T(m, [1, 3, 1]), T(m, [0.5, 1.0, 2.0])),
    "bincount_w64": lambda m: m.bincount(T(m, [1, 3, 1]), T(m, [1, 2, 3])),
    "bincount_w_len": lambda m: m.bincount(T(m, [1, 3]), T(m, [1.0])),
    "bincount_empty": lambda m: m.bincount(T(m, [], dtype=m.int64)),
    "isin": lambda m: m.isin(T(m, [1, 2, 3]), T(m, [2])),
    "isin_scalar": lambda m: m.isin(T(m, [1.0, 2, 3]), 2),
    "isin_elem_scalar": lambda m: m.isin(2, T(m, [1, 2])),
    "isin_mixed": lambda m: m.isin(T(m, [1, 2]), T(m, [2.5, 1.0])),
    "isin_invert": lambda m: m.isin(T(m, [[1, 2], [3, 4]]), T(m, [2, 3]), invert=True),
    "tril_indices": lambda m: m.tril_indices(3, 4, 1),
    "triu_indices": lambda m: m.triu_indices(3, 3, -1, dtype=m.int32),
    "tril_empty": lambda m: m.tril_indices(0, 3),
    "tril_float": lambda m: m.tril_indices(3, 3, dtype=m.float32),
    "triu_wide": lambda m: m.triu_indices(2, 5, 2),
    "gcd": lambda m: m.gcd(T(m, [12, -18, 0]), T(m, [8, 12, 0])),
    "lcm": lambda m: m.lcm(T(m, [4, -6, 0]), T(m, [9, 4, 3])),
    "lcm_int": lambda m: m.lcm(T(m, [4, -6]), 9),
    "gcd_float": lambda m: m.gcd(T(m, [1.0]), T(m, [2.0])),
    "gcd_mixed": lambda m: m.gcd(T(m, [2], dtype=m.uint8), T(m, [4], dtype=m.int8)),
    "gcd_": lambda m: T(m, [12, 9]).gcd_(T(m, [8, 6])),
    "lcm_": lambda m: T(m, [4, 3]).lcm_(T(m, [6, 5])),
    "nextafter": lambda m: m.nextafter(T(m, [1.0, 0.0, -1.0]), T(m, [2.0, -1.0, -1.0])),
    "nextafter64": lambda m: T(m, [1.0], dtype=m.float64).nextafter(T(m, [0.0], dtype=m.float64)),
    "nextafter_int": lambda m: m.nextafter(T(m, [1]), T(m, [2])),
    "nextafter_": lambda m: T(m, [1.0]).nextafter_(T(m, [2.0])),
}


@pytest.mark.parametrize("name", list(CASES))
def test_matches_torch(name):
    assert _outcome(CASES[name], numtorch) == _outcome(CASES[name], torch)


def test_histc_random_matches_torch():
    x = np.random.default_rng(0).normal(size=1000).astype(np.float32)
    for bins, lo, hi in ((10, 0, 0), (7, -1, 2), (100, -3, 3)):
        ours = numtorch.histc(numtorch.tensor(x), bins, lo, hi)
        theirs = torch.histc(torch.tensor(x), bins, lo, hi)
        np.testing.assert_array_equal(ours._data, theirs.numpy())
