"""torch.cholesky / matrix_power / logdet / slogdet and the real-tensor conj family against torch."""
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given

import numtorch
from tests.optable import Row, check_row, fixed

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def spd(m, x):
    return x @ x.mT + m.eye(x.shape[-1], dtype=x.dtype)


SQ = fixed(((3, 3),), ((2, 2, 2),))
ROWS = [
    Row("matrix_power3", lambda m, x: m.matrix_power(x, 3), SQ),
    Row("matrix_power_neg", lambda m, x: x.matrix_power(-2), fixed(((3, 3),)), avoid=lambda a: [a[0] + 3 * np.eye(3)]),
    Row("logdet", lambda m, x: m.logdet(spd(m, x)), SQ),
    Row("slogdet", lambda m, x: m.slogdet(x).logabsdet, SQ),
    Row("cholesky", lambda m, x: m.cholesky(spd(m, x)), SQ),
    Row("cholesky_upper", lambda m, x: spd(m, x).cholesky(upper=True), SQ),
]


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.name)
def test_row(row):
    @given(row.shapes)
    def check(shape_tuple):
        check_row(row, shape_tuple)
    check()


def test_values_and_flags():
    a = np.array([[0.0, 1.0], [1.0, 0.0]])
    for name in ("slogdet", "logdet"):
        ours, theirs = getattr(numtorch, name)(numtorch.tensor(a)), getattr(torch, name)(torch.tensor(a))
        np.testing.assert_array_equal(np.array([o.item() for o in (ours if name == "slogdet" else [ours])]),
                                      np.array([o.item() for o in (theirs if name == "slogdet" else [theirs])]))
    assert numtorch.matrix_power(numtorch.ones(2, 3, 3), 0).tolist() == torch.matrix_power(torch.ones(2, 3, 3), 0).tolist()
    with pytest.raises(RuntimeError):
        numtorch.matrix_power(numtorch.ones(2, 3), 2)
    x = numtorch.ones(2)
    assert numtorch.conj(x) is x and numtorch.resolve_conj(x) is x and not x.is_conj() and not x.is_neg()
    with warnings.catch_warnings(record=True):
        numtorch.cholesky(numtorch.eye(2))
    assert [t.tolist() for t in numtorch.unsafe_split(numtorch.arange(5), 2)] == \
        [t.tolist() for t in torch.unsafe_split(torch.arange(5), 2)]
    assert numtorch.narrow_copy(numtorch.arange(5), 0, 1, 2).tolist() == [1, 2]
