"""Python ints outside an integer tensor's range: arithmetic and comparisons wrap the int to the
dtype as torch does; Scalar arguments (fill_, full, clamp, alpha, where, masked_fill, pow,
setitem) raise torch's RuntimeError, except that unsigned types take negatives down to -max."""
import pytest
import torch

import numtorch


def _u8(m, v=250):
    return m.tensor([v], dtype=m.uint8)


def _setitem(m, v):
    t = _u8(m, 1)
    t[0] = v
    return t


CASES = {
    "add": lambda m: _u8(m) + 300, "sub": lambda m: _u8(m) - 300, "mul": lambda m: _u8(m) * 300,
    "radd": lambda m: 300 + _u8(m), "rsub": lambda m: 300 - _u8(m), "add_neg": lambda m: _u8(m) + (-1),
    "eq": lambda m: _u8(m) == 300, "lt": lambda m: _u8(m) < 300, "gt_neg": lambda m: _u8(m) > -1,
    "eq_wraps": lambda m: _u8(m, 255) == 511, "ne_neg": lambda m: _u8(m, 255) != -1,
    "int8": lambda m: m.tensor([100], dtype=m.int8) + 1000, "int16": lambda m: m.tensor([1], dtype=m.int16) - 40000,
    "int32": lambda m: m.tensor([100], dtype=m.int32) + 2 ** 40,
    "int64_2**63": lambda m: m.tensor([100]) + 2 ** 63, "int64_2**64": lambda m: m.tensor([100]) + 2 ** 64,
    "int64_neg": lambda m: m.tensor([100]) + (-2 ** 63 - 1), "eq_2**64": lambda m: m.tensor([5]) == 2 ** 64,
    "floordiv": lambda m: _u8(m) // 300, "mod": lambda m: _u8(m) % 300, "truediv": lambda m: _u8(m) / 300,
    "and": lambda m: _u8(m) & 300, "add_": lambda m: _u8(m).add_(300), "mul_": lambda m: _u8(m).mul_(300),
    "zeros_add_": lambda m: m.zeros(2, dtype=m.uint8).add_(256), "bool": lambda m: m.tensor([True]) + 300,
    "zero_dim_add": lambda m: _u8(m) + m.tensor(300), "zero_dim_max": lambda m: m.maximum(_u8(m), m.tensor(300)),
    "zero_dim_div": lambda m: _u8(m) / m.tensor(300),
    "fill_": lambda m: _u8(m).fill_(300), "fill_neg": lambda m: _u8(m).fill_(-1),
    "fill_-255": lambda m: _u8(m).fill_(-255), "fill_-256": lambda m: _u8(m).fill_(-256),
    "fill_int8": lambda m: m.tensor([1], dtype=m.int8).fill_(-129),
    "full": lambda m: m.full((2,), 300, dtype=m.uint8), "full_neg": lambda m: m.full((2,), -1, dtype=m.uint8),
    "setitem": lambda m: _setitem(m, 300), "setitem_neg": lambda m: _setitem(m, -1),
    "pow": lambda m: _u8(m, 2) ** 300, "clamp": lambda m: _u8(m).clamp(max=300),
    "clamp_ok": lambda m: _u8(m).clamp(max=200),
    "masked_fill": lambda m: _u8(m).masked_fill(m.tensor([True]), 300),
    "masked_fill_neg": lambda m: _u8(m).masked_fill(m.tensor([True]), -1),
    "masked_fill_": lambda m: _u8(m).masked_fill_(m.tensor([True]), 300),
    "where": lambda m: m.where(m.tensor([True]), _u8(m), 300),
    "alpha": lambda m: _u8(m).sub(1, alpha=300), "alpha_t": lambda m: _u8(m).add(_u8(m, 1), alpha=300),
    "new_full": lambda m: _u8(m).new_full((1,), 300),
}


def _outcome(fn, mod):
    try:
        r = fn(mod)
    except Exception as e:  # noqa: BLE001 - the exception type is what is compared
        return type(e).__name__, str(e)
    return r.tolist(), str(r.dtype).split(".")[1]


@pytest.mark.parametrize("name", list(CASES))
def test_matches_torch(name):
    assert _outcome(CASES[name], numtorch) == _outcome(CASES[name], torch)
