"""Composite ops (diff, cov, quantile, cdist, block_diag, cummax, scatters, ...), nanmedian and
logcumsumexp against torch:
forward, grad and grad-of-grad via the op table, plus dtypes, edge cases and torch's errors."""
import numpy as np
import pytest
import torch

import numtorch
from tests.ops.test_reduction import nl, spread
from tests.optable import Row, fixed, row_tests, shapes

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def apart(arrays):
    """Distinct values within and across inputs (no kink of |x - y| at a drawn point)."""
    return [a + 0.0123 * i for i, a in enumerate(spread(arrays))]


D1 = shapes(1, min_dims=1, min_side=1)
M2 = shapes(1, min_dims=2, max_dims=2, min_side=2)

ROWS = [
    Row("diff", nl(lambda m, x: m.diff(x)), shapes(1, min_dims=1)),
    Row("diff_n2_dim0", nl(lambda m, x: x.diff(n=2, dim=0)), shapes(1, min_dims=1)),
    Row("diff_prepend", nl(lambda m, x, p: m.diff(x, dim=-1, prepend=p, append=p)), fixed(((2, 3), (2, 1)))),
    Row("trapezoid", nl(lambda m, y: m.trapezoid(y)), shapes(1, min_dims=1)),
    Row("trapezoid_x", nl(lambda m, y, x: m.trapezoid(y, x, dim=0)), fixed(((3, 2), (3, 2)), ((4,), (4,)))),
    Row("trapz_dx", nl(lambda m, y: m.trapz(y, dx=0.5, dim=0)), shapes(1, min_dims=1)),
    Row("cumulative_trapezoid", nl(lambda m, y: m.cumulative_trapezoid(y)), shapes(1, min_dims=1)),
    Row("cov", nl(lambda m, x: m.cov(x)), M2),
    Row("cov_weights", nl(lambda m, x, a: m.cov(x, correction=0, aweights=a.abs() + 0.5)), fixed(((2, 4), (4,)))),
    Row("corrcoef", nl(lambda m, x: m.corrcoef(x)), fixed(((3, 5),), ((2, 4),))),
    Row("quantile", nl(lambda m, x: m.quantile(x, 0.3)), D1, avoid=spread),
    Row("quantile_dim", nl(lambda m, x: x.quantile(m.tensor([0.0, 0.25, 0.9], dtype=x.dtype), dim=0,
                                                  keepdim=True)), D1, avoid=spread),
    Row("quantile_modes", nl(lambda m, x: m.stack([m.quantile(x, 0.4, -1, interpolation=i) for i in
                                                  ("lower", "higher", "midpoint", "nearest")])),
        fixed(((3, 6),), ((7,),)), avoid=spread),
    Row("nanquantile", nl(lambda m, x: m.nanquantile(x, 0.6, 0)), D1, avoid=spread),
    Row("dist", nl(lambda m, x, y: m.dist(x, y)), shapes(2, min_dims=1, min_side=2), avoid=apart),
    Row("dist_p1", nl(lambda m, x, y: x.dist(y, 1)), shapes(2), avoid=apart, gradgrad=False),
    # torch has no double backward for cdist ("the derivative for '_cdist_backward' is not implemented")
    Row("cdist", nl(lambda m, x, y: m.cdist(x, y)), fixed(((3, 2), (4, 2)), ((2, 3, 3), (2, 2, 3))), gradgrad=False),
    Row("cdist_p1", nl(lambda m, x, y: m.cdist(x, y, p=1)), fixed(((3, 2), (4, 2))), gradgrad=False, avoid=apart),
    Row("renorm", nl(lambda m, x: m.renorm(x, 2, 0, 1.0)), fixed(((3, 4),), ((2, 3, 2),))),
    Row("cartesian_prod", nl(lambda m, x, y: m.cartesian_prod(x, y)), fixed(((3,), (2,)), ((1,), (4,)))),
    Row("combinations", nl(lambda m, x: m.combinations(x, 3)), fixed(((4,),), ((5,),))),
    Row("combinations_repl", nl(lambda m, x: m.combinations(x, with_replacement=True)), fixed(((3,),))),
    Row("hsplit", nl(lambda m, x: m.hsplit(x, 2)), fixed(((3, 4),), ((4,),))),
    Row("vsplit", nl(lambda m, x: x.vsplit([1, 2])), fixed(((3, 4),))),
    Row("dsplit", nl(lambda m, x: m.dsplit(x, 2)), fixed(((2, 1, 4),))),
    Row("diagflat", nl(lambda m, x: m.diagflat(x, 1)), shapes(1)),
    Row("block_diag", nl(lambda m, x, y, z: m.block_diag(x, y, z)), fixed(((2, 3), (2,), ()), ((1, 1), (2,), (2, 2)))),
    # non-negative exponents: torch's ldexp backward scales by 2**other in integer arithmetic (0 for other < 0)
    Row("ldexp", nl(lambda m, x: m.ldexp(x, m.tensor([1, 0, 3])[: x.shape[-1]])), fixed(((3,),), ((2, 3),))),
    Row("frexp", nl(lambda m, x: list(m.frexp(x))), shapes(1)),
    Row("cummax", nl(lambda m, x: list(m.cummax(x, 0))), D1, avoid=spread),
    Row("cummin", nl(lambda m, x: list(x.cummin(-1))), D1, avoid=spread),
    Row("nanmedian", nl(lambda m, x: m.nanmedian(x)), shapes(1, min_side=1), avoid=spread),
    Row("nanmedian_dim", nl(lambda m, x: list(x.nanmedian(0, keepdim=True))), D1, avoid=spread),
    Row("logcumsumexp", nl(lambda m, x: m.logcumsumexp(x, 0)), shapes(1, min_dims=1)),
    Row("logcumsumexp_last", nl(lambda m, x: x.logcumsumexp(-1)), shapes(1)),
    Row("fill_diagonal_", nl(lambda m, x: (x * 1).fill_diagonal_(0.5, wrap=True)), fixed(((5, 2),), ((3, 3, 3),))),
    Row("diagonal_scatter", nl(lambda m, x, s: m.diagonal_scatter(x, s, 1)), fixed(((3, 4), (3,)))),
    Row("select_scatter", nl(lambda m, x, s: m.select_scatter(x, s, 1, 0)), fixed(((3, 4), (3,)))),
    Row("slice_scatter", nl(lambda m, x, s: m.slice_scatter(x, s, 1, 1, 4, 2)), fixed(((3, 4), (3, 2)))),
]


test_row = row_tests(ROWS)


def _same(fn):
    """fn(mod) gives equal values (or the same exception type) under numtorch and torch."""
    try:
        theirs = fn(torch)
    except Exception as e:  # noqa: BLE001
        with pytest.raises(type(e)):
            fn(numtorch)
        return
    ours = fn(numtorch)
    for a, b in zip(ours if isinstance(ours, tuple) else (ours,), theirs if isinstance(theirs, tuple) else (theirs,)):
        if isinstance(b, torch.Tensor):
            assert str(a.dtype) == str(b.dtype) and tuple(a.shape) == tuple(b.shape)
            np.testing.assert_allclose(a.detach()._data, b.detach().numpy(), equal_nan=True, rtol=1e-6)
        else:
            assert a == b


NAN = float("nan")
CASES = [
    lambda m: m.cummax(m.tensor([1.0, NAN, 3.0, 0.5]), 0),
    lambda m: m.cummin(m.tensor([[3, 1, 1, 2], [0, 5, -1, -1]]), 1),
    lambda m: m.cummax(m.tensor([2.0, 2.0, 1.0, 2.0]), 0),
    lambda m: m.quantile(m.tensor([1.0, NAN, 3.0]), 0.5),
    lambda m: m.nanquantile(m.tensor([[1.0, NAN, 3.0], [NAN, NAN, NAN]]), 0.5, dim=1),
    lambda m: m.quantile(m.tensor([1.0, 2.0]), 1.5),
    lambda m: m.quantile(m.tensor([1, 2]), 0.5),
    lambda m: m.quantile(m.tensor([1.0, 2.0]), 0.5, interpolation="bad"),
    lambda m: m.quantile(m.tensor([]), 0.5),
    lambda m: m.quantile(m.tensor(3.0), 0.5, dim=0, keepdim=True),
    lambda m: m.quantile(m.tensor([[1.0, 2.0], [3.0, 5.0]]), 0.5, keepdim=True),
    lambda m: m.diff(m.tensor([True, False, False])),
    lambda m: m.diff(m.tensor([1, 4, 9]), prepend=m.tensor([0])),
    lambda m: m.diff(m.tensor(3.0)),
    lambda m: m.cov(m.tensor([1, 2, 4])),
    lambda m: m.cov(m.tensor([[1.0, 2.0, 4.0]]), fweights=m.tensor([1, 2, 1])),
    lambda m: m.corrcoef(m.tensor([1.0, 2.0, 4.0])),
    lambda m: m.hsplit(m.ones(2, 3), 2),
    lambda m: m.vsplit(m.ones(3), 1),
    lambda m: m.block_diag(m.ones(2, dtype=m.int64), m.ones(1, 1)),
    lambda m: m.block_diag(),
    lambda m: m.combinations(m.tensor([1, 2, 3]), 0),
    lambda m: m.combinations(m.tensor([1, 2]), 3),
    lambda m: m.cartesian_prod(m.tensor([1, 2])),
    lambda m: m.frexp(m.tensor([0.0, 1.0, -3.5, 1e-40, float("inf")])),
    lambda m: m.frexp(m.tensor([1, 2])),
    lambda m: m.ldexp(m.tensor([1.0]), m.tensor([3])),
    lambda m: m.ldexp(m.tensor([1]), m.tensor([3])),
    lambda m: m.tensor([2.0]).is_nonzero(),
    lambda m: m.is_nonzero(m.tensor([0])),
    lambda m: m.is_nonzero(m.tensor([1, 2])),
    lambda m: m.is_nonzero(m.tensor([])),
    lambda m: m.is_same_size(m.ones(2, 3), m.ones(2, 3)),
    lambda m: m.ones(2).is_same_size(m.ones(3)),
    lambda m: m.cdist(m.ones(3), m.ones(3)),
    lambda m: m.cdist(m.ones(2, 3), m.ones(2, 4)),
    lambda m: m.select_scatter(m.zeros(2, 2), m.ones(3), 0, 0),
    lambda m: m.trapezoid(m.tensor([1, 2, 4])),
    lambda m: m.trapezoid(m.zeros(2, 0)),
    lambda m: m.detach(m.ones(2, requires_grad=True)).requires_grad,
    lambda m: m.renorm(m.ones(2, 2), 0, 0, 1.0),
    lambda m: m.nanmedian(m.tensor([[NAN, NAN], [1.0, NAN]]), 1),
    lambda m: m.nanmedian(m.tensor([NAN, 2.0, 1.0, 3.0])),
    lambda m: m.nanmedian(m.tensor([3, 1, 2, 2])),
    lambda m: m.logcumsumexp(m.tensor([-1000.0, 0.0, float("inf"), 1.0]), 0),
    lambda m: m.logcumsumexp(m.tensor([1, 2]), 0),
    lambda m: m.ones(7, 3).fill_diagonal_(2),
    lambda m: m.ones(3).fill_diagonal_(2),
    lambda m: m.ones(2, 3, 2).fill_diagonal_(2),
    lambda m: m.arange(12.0).reshape(3, 4)[1:, 2:].storage_offset(),
    lambda m: m.arange(12.0).reshape(3, 4).t()[1].storage_offset(),
    lambda m: (m.ones(1).is_cpu, m.ones(1).is_inference()),
    lambda m: m.ones(2).new_empty_strided((2, 3), (3, 1)).shape,
]


@pytest.mark.parametrize("case", range(len(CASES)))
def test_cases(case):
    _same(CASES[case])
