"""Linear algebra against torch: the matmul family, einsum, norms, inv/det/solve/cholesky — forward,
grad and grad-of-grad (op table), plus torch's shape/dtype errors and grad_fn names."""
import math

import numpy as np
import pytest
import torch
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import numtorch
from tests.optable import Row, away_from, fixed, row_tests, shapes

# numtorch silences NumPy's IEEE warnings (inf - inf, log(0)) from its own code; pytest's capture
# bypasses that package filter, so the tests restate it.
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning:numtorch")

SIDE = st.integers(0, 3)


@st.composite
def _products(draw, kind):
    n, k, m = draw(SIDE), draw(SIDE), draw(SIDE)
    ba, bb = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=1, max_dims=2, max_side=3)).input_shapes
    return {
        "dot": ((k,), (k,)), "mm": ((n, k), (k, m)), "mv": ((n, k), (k,)), "vm": ((k,), (k, m)),
        "bmm": ((n, m, k), (n, k, m)), "batched": ((*ba, n, k), (*bb, k, m)), "v_batched": ((k,), (*bb, k, m)),
        "batched_v": ((*ba, n, k), (k,)), "outer": ((n,), (m,)),
    }[kind]


def products(kind):
    return _products(kind)


@st.composite
def _add_products(draw, kind):
    n, k, m, b = draw(SIDE), draw(SIDE), draw(SIDE), draw(SIDE)
    out, m1, m2 = {"addmm": ((n, m), (n, k), (k, m)), "addmv": ((n,), (n, k), (k,)),
                   "baddbmm": ((b, n, m), (b, n, k), (b, k, m)), "addbmm": ((n, m), (b, n, k), (b, k, m)),
                   "addr": ((n, m), (n,), (m,))}[kind]
    cut = draw(st.integers(0, len(out))) if 0 not in out else 0   # input broadcasts to the result
    return out[cut:], m1, m2


@st.composite
def _einsum_shapes(draw, equation, ones=False):
    """Shapes for the operands of `equation`, sizes drawn per label (some dims 1 to broadcast)."""
    lhs = equation.split("->")[0]
    letters = sorted(set(c for c in lhs if c.isalpha()))
    size = {c: draw(st.integers(1 if ones else 0, 3)) for c in letters}
    out = []
    for term in lhs.split(","):
        dims = [[2, 1][:draw(st.integers(0, 2))] if c == "." else [size[c] if not ones or draw(st.booleans()) else 1]
                for c in term.replace("...", ".")]
        out.append(tuple(d for ds in dims for d in ds))
    return tuple(out)


def square(batch_max=1):
    return hnp.array_shapes(min_dims=0, max_dims=batch_max, min_side=1, max_side=2).flatmap(
        lambda b: SIDE.map(lambda n: (b + (n, n),)))


def well_conditioned(arrays):
    """A + n I: far from singular, so inv/det/solve are smooth where they are checked."""
    a = arrays[0]
    return [a + a.shape[-1] * np.eye(a.shape[-1])] + list(arrays[1:])


def positive_definite(arrays):
    a = arrays[0]
    return [a @ np.swapaxes(a, -1, -2) + (a.shape[-1] + 1) * np.eye(a.shape[-1])]


def sym(f):
    """Inputs symmetrized inside the call, so a finite difference stays on symmetric matrices."""
    return lambda m, x: f(m, (x + x.transpose(-1, -2)) * 0.5)


@st.composite
def _solve_shapes(draw, vector):
    n, k = draw(SIDE), draw(SIDE)
    batch = draw(st.sampled_from([(), (2,)]))
    return (batch + (n, n), batch + ((n,) if vector else (n, k)))


def nl(f):
    return lambda m, *xs: f(m, *xs).sin()


INF = math.inf
NONEMPTY = shapes(1, min_side=1)
D1 = shapes(1, min_dims=1)
MATRICES = shapes(1, min_dims=2, max_dims=3, min_side=1)

ROWS = [
    Row("matmul_dot", lambda m, a, b: a @ b, products("dot")),
    Row("matmul_mm", lambda m, a, b: m.matmul(a, b), products("mm")),
    Row("matmul_mv", lambda m, a, b: a @ b, products("mv")),
    Row("matmul_vm", lambda m, a, b: a @ b, products("vm")),
    Row("matmul_batched", lambda m, a, b: a @ b, products("batched")),
    Row("matmul_v_batched", lambda m, a, b: m.matmul(a, b), products("v_batched")),
    Row("matmul_batched_v", lambda m, a, b: a.matmul(b), products("batched_v")),
    Row("rmatmul", lambda m, a, b: b.__rmatmul__(a), products("mm")),
    Row("mm", lambda m, a, b: m.mm(a, b), products("mm")),
    Row("bmm", lambda m, a, b: a.bmm(b), products("bmm")),
    Row("mv", lambda m, a, b: m.mv(a, b), products("mv")),
    Row("dot", lambda m, a, b: a.dot(b), products("dot")),
    Row("vdot", lambda m, a, b: m.vdot(a, b), products("dot")),
    Row("inner", lambda m, a, b: m.inner(a, b), fixed(((2, 3), (4, 3)), ((3,), (2, 1, 3)), ((), (2, 3)),
                                                       ((0, 2), (2,)))),
    Row("outer", lambda m, a, b: m.outer(a, b), products("outer")),
    Row("ger", lambda m, a, b: a.ger(b), products("outer")),
    Row("addmm", lambda m, i, a, b: m.addmm(i, a, b), _add_products("addmm")),
    Row("addmm_scaled", lambda m, i, a, b: i.addmm(a, b, beta=0.5, alpha=-2.0), _add_products("addmm")),
    Row("addmm_beta0", lambda m, i, a, b: m.addmm(i, a, b, beta=0), _add_products("addmm")),
    Row("addmv", lambda m, i, a, b: m.addmv(i, a, b, alpha=3), _add_products("addmv")),
    Row("baddbmm", lambda m, i, a, b: m.baddbmm(i, a, b, beta=2), _add_products("baddbmm")),
    Row("addbmm", lambda m, i, a, b: i.addbmm(a, b, alpha=0.5), _add_products("addbmm")),
    Row("addr", lambda m, i, a, b: m.addr(i, a, b, beta=-1, alpha=2), _add_products("addr")),
    Row("einsum_mm", lambda m, a, b: m.einsum("ij,jk->ik", a, b), _einsum_shapes("ij,jk")),
    Row("einsum_implicit", lambda m, a, b: m.einsum("ij,jk", a, b), _einsum_shapes("ij,jk")),
    Row("einsum_permuted", lambda m, a, b: m.einsum("kj,ji->ik", a, b), _einsum_shapes("kj,ji")),
    Row("einsum_trace", nl(lambda m, a: m.einsum("ii", a)), _einsum_shapes("ii")),
    Row("einsum_diag", nl(lambda m, a: m.einsum("ii->i", a)), _einsum_shapes("ii")),
    Row("einsum_sum_out", nl(lambda m, a: m.einsum("ijk->j", a)), _einsum_shapes("ijk")),
    Row("einsum_batch", lambda m, a, b: m.einsum("bij,bjk->bik", a, b), _einsum_shapes("bij,bjk", ones=True)),
    Row("einsum_ellipsis", lambda m, a, b: m.einsum("...ij,...jk->...ik", a, b), _einsum_shapes("...ij,...jk")),
    Row("einsum_ellipsis_implicit", lambda m, a, b: m.einsum("i...,i...", a, b), _einsum_shapes("i...,i...")),
    Row("einsum_three", lambda m, a, b, c: m.einsum("ij,jk,kl->li", a, b, c), _einsum_shapes("ij,jk,kl")),
    Row("einsum_outer_diag", lambda m, a, b: m.einsum("iij,k->jk", a, b), _einsum_shapes("iij,k")),
    Row("einsum_list", lambda m, a, b: m.einsum("i,i->", [a, b]), _einsum_shapes("i,i")),
    Row("einsum_sublist", lambda m, a, b: m.einsum(a, [0, 1], b, [1, 2], [2, 0]), _einsum_shapes("ab,bc")),
    Row("einsum_mixed_case", lambda m, a, b: m.einsum("Ab,bC", a, b), _einsum_shapes("Ab,bC")),
    Row("tensordot", lambda m, a, b: m.tensordot(a, b), fixed(((2, 3, 4), (3, 4, 2)), ((3, 2), (3, 2)),
                                                             ((0, 2, 2), (2, 2, 1)))),
    Row("tensordot_int", lambda m, a, b: m.tensordot(a, b, dims=1), fixed(((2, 3), (3, 4)), ((2, 0), (0, 3)))),
    Row("tensordot_lists", lambda m, a, b: m.tensordot(a, b, dims=([0, 2], [1, 0])),
        fixed(((2, 3, 4), (4, 2, 1)), ((1, 2, 3), (3, 1)))),
    Row("kron", lambda m, a, b: m.kron(a, b), fixed(((2, 3), (3, 2)), ((2,), (2, 3)), ((1, 2, 2), (2,)))),
    Row("cross", lambda m, a, b: m.linalg.cross(a, b), fixed(((3,), (3,)), ((4, 3), (1, 3)), ((2, 1, 3), (1, 2, 3)))),
    Row("cross_dim", lambda m, a, b: m.cross(a, b, dim=0), fixed(((3, 2), (3, 2)))),
    Row("inv", lambda m, a: m.linalg.inv(a), square(), avoid=well_conditioned),
    Row("inverse", lambda m, a: a.inverse(), square(), avoid=well_conditioned),
    Row("det", lambda m, a: m.linalg.det(a), square(), avoid=well_conditioned),
    Row("det_method", lambda m, a: a.det(), square(), avoid=well_conditioned),
    Row("solve", lambda m, a, b: m.linalg.solve(a, b), _solve_shapes(False), avoid=well_conditioned),
    Row("solve_vector", lambda m, a, b: m.linalg.solve(a, b), _solve_shapes(True), avoid=well_conditioned),
    Row("solve_right", lambda m, a, b: m.linalg.solve(a, b.transpose(-1, -2), left=False),
        _solve_shapes(False), avoid=well_conditioned),
    Row("cholesky", sym(lambda m, a: m.linalg.cholesky(a)), square(), avoid=positive_definite),
    Row("cholesky_upper", sym(lambda m, a: m.linalg.cholesky(a, upper=True)), square(), avoid=positive_definite),
    Row("vector_norm", lambda m, x: m.linalg.vector_norm(x), shapes(1)),
    Row("vector_norm_dim", lambda m, x: m.linalg.vector_norm(x, dim=-1, keepdim=True), D1, avoid=away_from(0.0)),
    Row("vector_norm_1", nl(lambda m, x: m.linalg.vector_norm(x, 1, dim=(0, -1))), shapes(1, min_dims=2),
        avoid=away_from(0.0)),
    Row("vector_norm_3", lambda m, x: m.linalg.vector_norm(x, 3), shapes(1), avoid=away_from(0.0)),
    Row("vector_norm_1_5", lambda m, x: m.linalg.vector_norm(x, 1.5, dim=0), D1, avoid=away_from(0.0)),
    Row("vector_norm_0_5", lambda m, x: m.linalg.vector_norm(x, 0.5), NONEMPTY, avoid=away_from(0.0)),
    Row("vector_norm_inf", nl(lambda m, x: m.linalg.vector_norm(x, INF, dim=-1)), shapes(1, min_dims=1, min_side=1)),
    Row("vector_norm_neg_inf", nl(lambda m, x: m.linalg.vector_norm(x, -INF)), NONEMPTY),
    Row("vector_norm_0", lambda m, x: m.linalg.vector_norm(x, 0, dim=-1), D1, grad=False),
    Row("vector_norm_neg", lambda m, x: m.linalg.vector_norm(x, -1), NONEMPTY, avoid=away_from(0.0)),
    Row("vector_norm_dtype", lambda m, x: m.linalg.vector_norm(x, dtype=m.float64), shapes(1), dtypes=(np.float32,)),
    Row("matrix_norm_fro", lambda m, x: m.linalg.matrix_norm(x), MATRICES, avoid=away_from(0.0)),
    Row("matrix_norm_1", nl(lambda m, x: m.linalg.matrix_norm(x, 1)), MATRICES, avoid=away_from(0.0)),
    Row("matrix_norm_neg_1", nl(lambda m, x: m.linalg.matrix_norm(x, -1, keepdim=True)), MATRICES,
        avoid=away_from(0.0)),
    Row("matrix_norm_inf", nl(lambda m, x: m.linalg.matrix_norm(x, INF, dim=(0, -1))), MATRICES, avoid=away_from(0.0)),
    Row("matrix_norm_neg_inf", nl(lambda m, x: m.linalg.matrix_norm(x, -INF)), MATRICES, avoid=away_from(0.0)),
    Row("matrix_norm_2", lambda m, x: m.linalg.matrix_norm(x, 2), MATRICES, gradgrad=False),
    Row("matrix_norm_nuc", lambda m, x: m.linalg.matrix_norm(x, "nuc", keepdim=True), MATRICES, gradgrad=False),
    Row("linalg_norm", lambda m, x: m.linalg.norm(x), shapes(1)),
    Row("linalg_norm_ord_vector", lambda m, x: m.linalg.norm(x, 3), shapes(1, min_dims=1, max_dims=1),
        avoid=away_from(0.0)),
    Row("linalg_norm_ord_matrix", nl(lambda m, x: m.linalg.norm(x, -INF)),
        shapes(1, min_dims=2, max_dims=2, min_side=1), avoid=away_from(0.0)),
    Row("linalg_norm_dim", nl(lambda m, x: m.linalg.norm(x, 1, dim=(1, 0))), MATRICES, avoid=away_from(0.0)),
    Row("norm", lambda m, x: x.norm(), shapes(1)),
    Row("norm_p", lambda m, x: m.norm(x, 2.5, dim=-1, keepdim=True), D1, avoid=away_from(0.0)),
    Row("norm_fro_dims", lambda m, x: m.norm(x, "fro", dim=(0, 1)), shapes(1, min_dims=2)),
    Row("norm_inf", nl(lambda m, x: x.norm(INF, dim=0)), shapes(1, min_dims=1, min_side=1)),
]


test_row = row_tests(ROWS)


# -- helpers ------------------------------------------------------------------------------------


def pair(*arrays, requires_grad=False):
    out = []
    for a in arrays:
        a = np.asarray(a, np.float64)
        out.append((numtorch.tensor(a, requires_grad=requires_grad), torch.tensor(a, requires_grad=requires_grad)))
    return out


def raises_like_torch(fn, *arrays, exc=RuntimeError, dtype=None):
    ours = [numtorch.tensor(np.asarray(a, dtype)) if dtype else numtorch.tensor(np.asarray(a)) for a in arrays]
    theirs = [torch.tensor(np.asarray(a, dtype)) if dtype else torch.tensor(np.asarray(a)) for a in arrays]
    with pytest.raises(exc) as t_err:
        fn(torch, *theirs)
    with pytest.raises(exc) as n_err:
        fn(numtorch, *ours)
    assert str(n_err.value) == str(t_err.value)
    return n_err.value


def same(a, b):
    a, b = a.detach()._data, b.detach().numpy()
    assert a.shape == b.shape and a.dtype == b.dtype
    np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


# -- errors -----------------------------------------------------------------------------------------

Z = np.zeros


@pytest.mark.parametrize("fn, shapes_", [
    (lambda m, a, b: a @ b, [(3,), (4,)]), (lambda m, a, b: a @ b, [(2, 3), (4, 5)]),
    (lambda m, a, b: a @ b, [(2, 3), (4,)]), (lambda m, a, b: a @ b, [(3,), (4, 5)]),
    (lambda m, a, b: a @ b, [(5, 2, 3), (5, 4, 4)]), (lambda m, a, b: a @ b, [(5, 2, 3), (4, 3, 4)]),
    (lambda m, a, b: a @ b, [(), (2, 2)]), (lambda m, a, b: m.mm(a, b), [(2, 2, 3), (3, 4)]),
    (lambda m, a, b: m.mm(a, b), [(2, 3), (3,)]), (lambda m, a, b: m.mm(a, b), [(2, 3), (4, 4)]),
    (lambda m, a, b: m.bmm(a, b), [(2, 3), (3, 4)]), (lambda m, a, b: m.bmm(a, b), [(2, 2, 3), (3, 3, 4)]),
    (lambda m, a, b: m.mv(a, b), [(2, 3), (4,)]), (lambda m, a, b: m.mv(a, b), [(2, 3), (3, 1)]),
    (lambda m, a, b: m.dot(a, b), [(3, 1), (3, 1)]), (lambda m, a, b: m.dot(a, b), [(3,), (4,)]),
    (lambda m, a, b: m.outer(a, b), [(3, 1), (2,)]), (lambda m, a, b: m.inner(a, b), [(2, 3), (4, 4)]),
    (lambda m, a, b: m.tensordot(a, b, dims=1), [(2, 3), (4, 5)]),
    (lambda m, a, b: m.tensordot(a, b, dims=-1), [(2, 3), (4, 5)]),
    (lambda m, a, b: m.linalg.cross(a, b), [(4,), (4,)]),
])
def test_shape_errors_like_torch(fn, shapes_):
    raises_like_torch(fn, *[Z(s) for s in shapes_])


@pytest.mark.parametrize("equation, shapes_", [
    ("ij,jk->ik", [(2, 3), (4, 4)]), ("ij,jk->ik", [(2, 3)]), ("i,i", [(2,), (2,), (2,)]), ("ij->k", [(2, 3)]),
    ("ijk", [(2, 3)]), ("ijk...", [(2, 3)]), ("ij->ii", [(2, 2)]), ("ii", [(2, 3)]), ("i#", [(2, 3)]),
    ("ij->ij->ij", [(2, 3)]), ("i..j", [(2, 3)]),
])
def test_einsum_errors_like_torch(equation, shapes_):
    raises_like_torch(lambda m, *ops: m.einsum(equation, *ops), *[Z(s) for s in shapes_])


@pytest.mark.parametrize("fn", [
    lambda m, a, b: a @ b, lambda m, a, b: m.mm(a, b), lambda m, a, b: a[0] @ b[0],
    lambda m, a, b: m.einsum("ij,jk", a, b), lambda m, a, b: m.dot(a[0], b[0]),
])
def test_mixed_dtype_errors_like_torch(fn):
    a, b = np.ones((2, 2)), np.ones((2, 2), np.float32)
    with pytest.raises(RuntimeError) as t_err:
        fn(torch, torch.tensor(a), torch.tensor(b))
    with pytest.raises(RuntimeError) as n_err:
        fn(numtorch, numtorch.tensor(a), numtorch.tensor(b))
    assert str(n_err.value) == str(t_err.value)


def test_integer_matmul_and_bool_error():
    a = np.arange(6).reshape(2, 3)
    assert (numtorch.tensor(a) @ numtorch.tensor(a.T)).tolist() == (torch.tensor(a) @ torch.tensor(a.T)).tolist()
    assert numtorch.einsum("ij,kj", numtorch.tensor(a), numtorch.tensor(a)).dtype == numtorch.int64
    raises_like_torch(lambda m, x, y: x @ y, a > 2, a.T > 2, exc=NotImplementedError)


@pytest.mark.parametrize("fn, data", [
    (lambda m, a: m.linalg.inv(a), Z((3, 3))), (lambda m, a: m.linalg.inv(a), Z((3, 2))),
    (lambda m, a: m.linalg.inv(a), np.eye(3, dtype=np.int64)), (lambda m, a: m.linalg.inv(a), Z(3)),
    (lambda m, a: m.linalg.det(a), np.eye(3, dtype=np.int64)), (lambda m, a: m.linalg.det(a), Z((2, 3))),
    (lambda m, a: m.linalg.cholesky(a), -np.eye(3)), (lambda m, a: m.linalg.cholesky(a), np.diag([1.0, -1.0])),
    (lambda m, a: m.linalg.solve(a, a[..., 0]), Z((3, 3))), (lambda m, a: m.linalg.solve(a, a[0, :2]), np.eye(3)),
    (lambda m, a: m.linalg.solve(a, a[:2]), np.eye(3)),
    (lambda m, a: m.linalg.vector_norm(a), np.eye(2, dtype=np.int64)),
    (lambda m, a: m.linalg.vector_norm(a, dtype=m.float32), np.eye(2)),
    (lambda m, a: m.linalg.vector_norm(a, INF), Z((0, 2))), (lambda m, a: m.linalg.vector_norm(a, -1, 0), Z((0, 2))),
    (lambda m, a: m.linalg.matrix_norm(a), Z(3)), (lambda m, a: m.linalg.matrix_norm(a, 3), Z((2, 2))),
    (lambda m, a: m.linalg.matrix_norm(a, dim=(0,)), Z((2, 2))), (lambda m, a: m.linalg.norm(a, 2), Z((2, 2, 2))),
    (lambda m, a: m.norm(a, "abc"), Z((2, 2))), (lambda m, a: m.norm(a, "fro", dim=(0, 1, 2)), Z((2, 2, 2))),
])
def test_linalg_errors_like_torch(fn, data):
    err = raises_like_torch(fn, data)
    if "singular" in str(err) or "positive-definite" in str(err):
        assert isinstance(err, numtorch.linalg.LinAlgError) and isinstance(err, RuntimeError)


def test_vector_norm_ord_must_be_a_number():
    with pytest.raises(TypeError, match="must be Number, not str"):
        numtorch.linalg.vector_norm(numtorch.ones(2), "fro")


# -- behaviour -----------------------------------------------------------------------------------


@pytest.mark.parametrize("call", [
    lambda m, a, b: a[0] @ b[0], lambda m, a, b: a @ b, lambda m, a, b: a @ b[0], lambda m, a, b: a[0] @ b,
    lambda m, a, b: a.expand(2, 3, 3) @ b, lambda m, a, b: m.mm(a, b), lambda m, a, b: m.bmm(a[None], b[None]),
    lambda m, a, b: m.mv(a, b[0]), lambda m, a, b: m.dot(a[0], b[0]), lambda m, a, b: m.vdot(a[0], b[0]),
    lambda m, a, b: m.outer(a[0], b[0]), lambda m, a, b: m.addmm(a, a, b), lambda m, a, b: m.addmv(a[0], a, b[0]),
    lambda m, a, b: m.baddbmm(a[None], a[None], b[None]), lambda m, a, b: m.addbmm(a, a[None], b[None]),
    lambda m, a, b: m.addr(a, a[0], b[0]), lambda m, a, b: m.linalg.inv(a + 3 * m.eye(3, dtype=a.dtype)),
    lambda m, a, b: m.linalg.det(a), lambda m, a, b: m.linalg.solve(a + 3 * m.eye(3, dtype=a.dtype), b),
    lambda m, a, b: m.linalg.vector_norm(a), lambda m, a, b: m.norm(a, dim=1), lambda m, a, b: m.linalg.cross(a, b),
    lambda m, a, b: m.linalg.matrix_norm(a, 1), lambda m, a, b: m.linalg.matrix_norm(a, "nuc"),
])
def test_grad_fn_names(call):
    rng = np.random.default_rng(3)
    (a, ta), (b, tb) = pair(rng.standard_normal((3, 3)), rng.standard_normal((3, 3)), requires_grad=True)
    assert call(numtorch, a, b).grad_fn.name() == call(torch, ta, tb).grad_fn.name()


@pytest.mark.parametrize("call, shapes_", [
    (lambda m, a, b: a @ b, [(2, 3), (3, 4)]), (lambda m, a, b: a @ b, [(2, 2, 3), (3,)]),
    (lambda m, a, b: m.bmm(a, b), [(2, 2, 3), (2, 3, 1)]), (lambda m, a, b: m.einsum("ij,jk", a, b), [(2, 3), (3, 4)]),
    (lambda m, a, b: m.mv(a, b), [(2, 3), (3,)]),
])
def test_products_skip_grads_nobody_needs(call, shapes_):
    """The rule returns None (computes nothing) for an operand that does not require grad."""
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) for s in shapes_]
    for needs in ((True, False), (False, True)):
        ops = [numtorch.tensor(a, requires_grad=r) for a, r in zip(arrays, needs)]
        out = call(numtorch, *ops)
        node = out.grad_fn
        got = node.backward(np.ones(out.shape), *node.unpack(False))
        assert [g is not None for g in got] == list(needs)


def test_matmul_broadcasting_grads_reduce_to_operand_shapes():
    rng = np.random.default_rng(1)
    (a, ta), (b, tb) = pair(rng.standard_normal((2, 1, 2, 3)), rng.standard_normal((4, 3, 2)), requires_grad=True)
    (a @ b).sum().backward()
    (ta @ tb).sum().backward()
    same(a.grad, ta.grad)
    same(b.grad, tb.grad)


def test_einsum_second_derivative_mixes_operands():
    rng = np.random.default_rng(2)
    (a, ta), (b, tb) = pair(rng.standard_normal((3, 4)), rng.standard_normal((4, 3)), requires_grad=True)
    for mod, x, y in ((numtorch, a, b), (torch, ta, tb)):
        (gx,) = mod.autograd.grad(mod.einsum("ij,ji->", x, y * y), x, create_graph=True)
        (gx.sin().sum()).backward()
    same(b.grad, tb.grad)


def test_inplace_add_products():
    rng = np.random.default_rng(4)
    (c, tc), (a, ta), (b, tb) = pair(rng.standard_normal((2, 4)), rng.standard_normal((2, 3)),
                                     rng.standard_normal((3, 4)))
    assert c.addmm_(a, b, beta=0.5, alpha=2) is c
    tc.addmm_(ta, tb, beta=0.5, alpha=2)
    same(c, tc)
    (v, tv), (w, tw) = pair(rng.standard_normal(2), rng.standard_normal(4))
    c.addr_(v, w)
    tc.addr_(tv, tw)
    same(c, tc)


def test_det_of_singular_matrix_has_torch_grad():
    a = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])
    (x, t), = pair(a, requires_grad=True)
    numtorch.linalg.det(x).backward()
    torch.linalg.det(t).backward()
    np.testing.assert_allclose(x.grad._data, t.grad.numpy(), atol=1e-12)


def test_norm_grads_at_zero_are_zero_like_torch():
    for ord_ in (2, 3, 1.5, 0.5, 1, INF):
        (x, t), = pair([0.0, 0.0, 1.0] if ord_ == 0.5 else [0.0, 0.0], requires_grad=True)
        numtorch.linalg.vector_norm(x, ord_).backward()
        torch.linalg.vector_norm(t, ord_).backward()
        same(x.grad, t.grad)


def test_linalg_namespace():
    import numtorch.linalg as la
    for name in ("vector_norm", "matrix_norm", "norm", "inv", "det", "solve", "cholesky", "cross", "matmul",
                 "svdvals", "LinAlgError"):
        assert hasattr(la, name) and hasattr(torch.linalg, name), name
    assert issubclass(la.LinAlgError, RuntimeError)
