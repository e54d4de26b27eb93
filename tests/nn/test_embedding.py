"""Embedding and EmbeddingBag (functional and modules) and sparse gradients against torch 2.13."""
import numpy as np
import pytest
import torch

import numtorch
from tests.nn.layer_checks import compare_double_backward, compare_fn, module_pair, same_error
from tests.nn.util import assert_close, np_of


def F(m):
    return m.nn.functional


rng = np.random.default_rng(0)
W = rng.standard_normal((7, 4))
IDX = np.array([[1, 3, 3, 0], [6, 1, 2, 3]])


@pytest.mark.parametrize("kw", [dict(), dict(padding_idx=3), dict(padding_idx=-1), dict(scale_grad_by_freq=True),
                                dict(padding_idx=1, scale_grad_by_freq=True)], ids=str)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_embedding_matches_torch(kw, dtype):
    compare_fn(lambda m, i, w: F(m).embedding(i, w, **kw), IDX, W, int_inputs=(0,), dtype=dtype)
    compare_fn(lambda m, i, w: F(m).embedding(i, w, **kw), IDX[0, 1], W, int_inputs=(0,), dtype=dtype)   # 0-d index
    compare_double_backward(lambda m, i, w: F(m).embedding(i, w, **kw) * 1.0, IDX, W, int_inputs=(0,), dtype=dtype)


def test_embedding_second_derivative_through_weight_products():
    # grad of (emb(w) * emb(w)).sum() depends on w: the scatter's own gradient (a gather) is exercised
    def fn(m, i, w):
        e = F(m).embedding(i, w, padding_idx=3)
        return e * e
    compare_double_backward(fn, IDX, W, int_inputs=(0,))


def test_embedding_max_norm_renormalizes_rows_in_place_like_torch():
    for norm_type in (2.0, 1.0, 3.5):
        ws = {}
        for lib in (torch, numtorch):
            w = lib.tensor(W * 2, requires_grad=True)
            v0 = w._version
            out = F(lib).embedding(lib.tensor(IDX), w, max_norm=1.5, norm_type=norm_type)
            ws[lib] = (w, out, w._version > v0)
        assert_close(ws[numtorch][0], ws[torch][0], np.float64)
        assert_close(ws[numtorch][1], ws[torch][1], np.float64)
        assert ws[numtorch][2] and ws[torch][2]


def test_embedding_sparse_gradient_matches_torch():
    grads = {}
    for lib in (torch, numtorch):
        emb = lib.nn.Embedding(7, 4, padding_idx=3, sparse=True)
        with lib.no_grad():
            emb.weight.copy_(lib.tensor(W, dtype=lib.float32))
        emb(lib.tensor(IDX)).sum().backward()
        first = emb.weight.grad
        grads[lib] = (first.is_sparse, first.is_coalesced(), np_of(first._indices()).copy(),
                      np_of(first._values()).copy(), np_of(first.to_dense()).copy())
        emb(lib.tensor([0, 6, 6])).pow(2).sum().backward()   # accumulation (torch's entry order is its own)
        g = emb.weight.grad
        c = g.coalesce()
        grads[lib] += (g.is_sparse, np_of(g.to_dense()), np_of(c.indices()), np_of(c.values()),
                       g.sparse_dim(), g.dense_dim(), tuple(g.shape), str(g.layout))
    for a, b in zip(grads[numtorch], grads[torch]):
        if isinstance(a, np.ndarray):
            assert a.shape == b.shape and np.allclose(a, b, atol=1e-6), (a, b)
        else:
            assert a == b


def test_sparse_gradient_feeds_dense_updates_and_errors():
    emb = numtorch.nn.Embedding(5, 2, sparse=True)
    emb(numtorch.tensor([1, 1, 4])).sum().backward()
    g = emb.weight.grad
    with pytest.raises(RuntimeError, match="Cannot get indices on an uncoalesced tensor"):
        g.indices()
    before = np_of(emb.weight).copy()
    opt = numtorch.optim.SGD(emb.parameters(), lr=0.5)
    opt.step()                                    # dense param += sparse grad
    expect = before.copy()
    expect[1] -= 1.0
    expect[4] -= 0.5
    assert np.allclose(np_of(emb.weight), expect)
    for lib in (torch, numtorch):
        e = lib.nn.Embedding(3, 2, sparse=True, scale_grad_by_freq=True)
        with pytest.raises(RuntimeError, match="scale_grad_by_freq not supported with sparse gradients"):
            e(lib.tensor([0, 1])).sum().backward()


def test_sparse_coo_tensor_basics():
    for lib in (torch, numtorch):
        s = lib.sparse_coo_tensor([[0, 2, 0]], [1.0, 2.0, 3.0], (4,))
        assert s.is_sparse and not s.is_coalesced() and s.shape == (4,)
        assert np_of(s.to_dense()).tolist() == [4.0, 0.0, 2.0, 0.0]
        c = s.coalesce()
        assert np_of(c.indices()).tolist() == [[0, 2]] and np_of(c.values()).tolist() == [4.0, 2.0]
        d = lib.tensor([[0.0, 1.5], [0.0, 0.0]]).to_sparse()
        assert np_of(d.indices()).tolist() == [[0], [1]] and np_of(d.values()).tolist() == [1.5]
        assert np_of((lib.ones(4) + s)).tolist() == [5.0, 1.0, 3.0, 1.0]


@pytest.mark.parametrize("kw", [dict(mode="sum"), dict(mode="mean"), dict(mode="max"), dict(mode="mean", padding_idx=3),
                                dict(mode="sum", padding_idx=1), dict(mode="max", padding_idx=3),
                                dict(mode="mean", scale_grad_by_freq=True)], ids=str)
def test_embedding_bag_2d_matches_torch(kw):
    compare_fn(lambda m, i, w: F(m).embedding_bag(i, w, **kw), IDX, W, int_inputs=(0,))
    if kw.get("scale_grad_by_freq"):
        return   # the gradient is scaled on purpose: finite differences do not apply
    # torch has no double backward for embedding_bag: check numtorch's against finite differences
    w = numtorch.tensor(W, requires_grad=True)
    go = numtorch.tensor(rng.standard_normal((2, 4)), requires_grad=True)
    assert numtorch.autograd.gradgradcheck(lambda w: F(numtorch).embedding_bag(numtorch.tensor(IDX), w, **kw) ** 2,
                                           (w,), (go,))


@pytest.mark.parametrize("kw", [dict(mode="sum"), dict(mode="mean"), dict(mode="max"),
                                dict(mode="mean", include_last_offset=True), dict(mode="max", include_last_offset=True),
                                dict(mode="mean", padding_idx=0)], ids=str)
def test_embedding_bag_offsets_matches_torch(kw):
    flat = np.array([1, 0, 3, 3, 6, 2, 0])
    offsets = np.array([0, 2, 2, 5]) if not kw.get("include_last_offset") else np.array([0, 2, 2, 5, 7])
    compare_fn(lambda m, i, o, w: F(m).embedding_bag(i, w, o, **kw), flat, offsets, W, int_inputs=(0, 1))


def test_embedding_bag_per_sample_weights_and_sparse():
    flat, offsets, psw = np.array([1, 0, 3, 3, 6]), np.array([0, 2]), rng.random(5)
    compare_fn(lambda m, i, o, w, p: F(m).embedding_bag(i, w, o, mode="sum", per_sample_weights=p),
               flat, offsets, W, psw, int_inputs=(0, 1))
    grads = []
    for lib in (torch, numtorch):
        bag = lib.nn.EmbeddingBag(7, 4, mode="sum", sparse=True)
        bag(lib.tensor(flat), lib.tensor(offsets)).sum().backward()
        grads.append(np_of(bag.weight.grad.to_dense()))
        assert bag.weight.grad.is_sparse
    assert np.allclose(grads[0], grads[1])


@pytest.mark.parametrize("call, arrays, exc", [
    (lambda m, i, w: F(m).embedding(i, w), (np.array([7]), W), IndexError),
    (lambda m, i, w: F(m).embedding(i, w), (np.array([0.0]), W), RuntimeError),
    (lambda m, i, w: F(m).embedding(i, w, padding_idx=7), (np.array([0]), W), AssertionError),
    (lambda m, i, w: F(m).embedding_bag(i, w, mode="median"), (IDX, W), ValueError),
    (lambda m, i, w: F(m).embedding_bag(i, w), (np.array([1, 2]), W), ValueError),
    (lambda m, i, w: F(m).embedding_bag(i, w, mode="max", sparse=True), (IDX, W), ValueError),
    (lambda m, i, w: F(m).embedding_bag(i, w, per_sample_weights=m.ones(2, 4, dtype=w.dtype)), (IDX, W),
     NotImplementedError),
])
def test_embedding_errors_match_torch(call, arrays, exc):
    ints = tuple(i for i, a in enumerate(arrays) if a.dtype.kind == "i")
    same_error(call, *arrays, exc=exc, int_inputs=ints, match=exc is not IndexError)


MODULES = [
    lambda nn: nn.Embedding(7, 4),
    lambda nn: nn.Embedding(7, 4, padding_idx=2, max_norm=2.0, norm_type=1.0, scale_grad_by_freq=True),
    lambda nn: nn.Embedding(7, 4, sparse=True),
    lambda nn: nn.EmbeddingBag(7, 4),
    lambda nn: nn.EmbeddingBag(7, 4, mode="max", padding_idx=1, max_norm=3.0),
    lambda nn: nn.EmbeddingBag(7, 4, mode="sum", include_last_offset=True, scale_grad_by_freq=True, norm_type=3.0),
]


@pytest.mark.parametrize("build", MODULES)
def test_embedding_modules_match_torch(build):
    tm, nm = module_pair(build)
    idx = IDX
    t_out, n_out = tm(torch.tensor(idx)), nm(numtorch.tensor(idx))
    assert_close(n_out, t_out)
    go = rng.standard_normal(t_out.shape).astype(np.float32)
    t_out.backward(torch.tensor(go))
    n_out.backward(numtorch.tensor(go))
    assert_close(nm.weight.grad.to_dense() if nm.weight.grad.is_sparse else nm.weight.grad,
                 tm.weight.grad.to_dense() if tm.weight.grad.is_sparse else tm.weight.grad)
    assert_close(nm.weight, tm.weight)     # max_norm renormalized the same rows


def test_embedding_init_and_from_pretrained():
    e = numtorch.nn.Embedding(50, 20, padding_idx=4)
    w = np_of(e.weight)
    assert w.shape == (50, 20) and not w[4].any() and abs(w.std() - 1) < 0.1   # N(0, 1), padding row zeroed
    pre = np.arange(12.0).reshape(4, 3)
    for lib in (torch, numtorch):
        m = lib.nn.Embedding.from_pretrained(lib.tensor(pre), padding_idx=1)
        assert not m.weight.requires_grad and m.padding_idx == 1
        assert np_of(m(lib.tensor([1, 2]))).tolist() == [[3.0, 4.0, 5.0], [6.0, 7.0, 8.0]]
        assert lib.nn.Embedding.from_pretrained(lib.tensor(pre), freeze=False).weight.requires_grad
        b = lib.nn.EmbeddingBag.from_pretrained(lib.tensor(pre), mode="sum")
        assert np_of(b(lib.tensor([[0, 1]]))).tolist() == [[3.0, 5.0, 7.0]]
        with pytest.raises(AssertionError, match="Embeddings parameter is expected to be 2-dimensional"):
            lib.nn.Embedding.from_pretrained(lib.ones(3))
        with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
            lib.nn.Embedding(3, 2, padding_idx=3)


def test_sparse_gradient_in_place_scaling():
    """What clip_grad_norm_ and zero_grad(set_to_none=False) do to a gradient (torch scales sparse values too)."""
    outs = []
    for lib in (torch, numtorch):
        g = lib.sparse_coo_tensor([[1, 3, 1]], [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], (4, 2))
        g.mul_(lib.tensor(0.5))
        g.div_(2)
        assert g.is_sparse
        outs.append(np_of(g.to_dense()).copy())
        g.zero_()
        assert g._nnz() == 0 and not np_of(g.to_dense()).any()
    assert np.array_equal(outs[0], outs[1])
    emb = numtorch.nn.Embedding(5, 3, sparse=True)
    emb(numtorch.tensor([1, 2, 1])).pow(2).sum().backward()
    dense = np_of(emb.weight.grad.to_dense()).copy()
    norm = numtorch.nn.utils.clip_grad_norm_(emb.parameters(), 1.0)
    assert np.isclose(float(norm), np.linalg.norm(dense), rtol=1e-5)
    assert emb.weight.grad.is_sparse and np.allclose(np_of(emb.weight.grad.to_dense()), dense / (float(norm) + 1e-6))
