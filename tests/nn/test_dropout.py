"""Dropout family (functional and modules) against torch 2.13. numtorch's generator reproduces torch's
stream, so with the same seed the masks are the same: this file is about the RNG on purpose."""
import warnings

import numpy as np
import pytest
import torch

import numtorch
from tests.nn.util import assert_close, np_of


def F(m):
    return m.nn.functional


X = np.random.default_rng(0).standard_normal((4, 5, 3, 2)) + 3.0


def seeded(lib, fn, seed=7, dtype=np.float32, shape=None):
    lib.manual_seed(seed)
    x = lib.tensor((X if shape is None else X.reshape(shape)).astype(dtype), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = fn(lib, x)
    return x, out


CASES = [
    ("dropout", lambda m, x: F(m).dropout(x, 0.3), None),
    ("dropout_p0", lambda m, x: F(m).dropout(x, 0.0), None),
    ("dropout_p1", lambda m, x: F(m).dropout(x, 1.0), None),
    ("dropout1d", lambda m, x: F(m).dropout1d(x, 0.4), (4, 5, 6)),
    ("dropout1d_unbatched", lambda m, x: F(m).dropout1d(x, 0.4), (20, 6)),
    ("dropout2d", lambda m, x: F(m).dropout2d(x, 0.5), None),
    ("dropout2d_3d_input", lambda m, x: F(m).dropout2d(x, 0.5), (4, 5, 6)),
    ("dropout3d", lambda m, x: F(m).dropout3d(x, 0.2), (2, 2, 5, 3, 2)),
    ("dropout3d_unbatched", lambda m, x: F(m).dropout3d(x, 0.2), (4, 5, 3, 2)),
    ("alpha_dropout", lambda m, x: F(m).alpha_dropout(x, 0.2, training=True), None),
    ("feature_alpha_dropout", lambda m, x: F(m).feature_alpha_dropout(x, 0.3, training=True), None),
]


@pytest.mark.parametrize("name, fn, shape", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_seeded_dropout_matches_torch_exactly(name, fn, shape, dtype):
    tx, t_out = seeded(torch, fn, dtype=dtype, shape=shape)
    nx, n_out = seeded(numtorch, fn, dtype=dtype, shape=shape)
    np.testing.assert_array_equal(np_of(n_out), np_of(t_out))
    if t_out.grad_fn is None:        # p == 0: the input itself
        assert n_out is nx and t_out is tx
        return
    assert n_out.grad_fn.name() == t_out.grad_fn.name()
    go = np.random.default_rng(1).standard_normal(t_out.shape).astype(dtype)
    t_out.backward(torch.tensor(go))
    n_out.backward(numtorch.tensor(go))
    assert_close(nx.grad, tx.grad, dtype)
    # the generator advanced by the same amount: the next draw agrees too
    np.testing.assert_array_equal(np_of(numtorch.rand(3)), np_of(torch.rand(3)))


INPLACE = [("dropout", X.shape), ("dropout1d", (4, 5, 6)), ("dropout1d", (20, 6)), ("dropout2d", X.shape),
           ("dropout3d", (2, 2, 5, 3, 2)), ("dropout3d", (4, 5, 3, 2)), ("alpha_dropout", X.shape),
           ("feature_alpha_dropout", X.shape)]


@pytest.mark.parametrize("fname, shape", INPLACE, ids=str)
def test_inplace_and_eval(fname, shape):
    outs = []
    for lib in (torch, numtorch):
        lib.manual_seed(3)
        x = lib.tensor(X.reshape(shape).astype(np.float32))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = getattr(F(lib), fname)(x, 0.5, training=True, inplace=True)
            assert r is x
            y = lib.tensor(X.reshape(shape).astype(np.float32))
            assert np.array_equal(np_of(getattr(F(lib), fname)(y, 0.5, training=False)), np_of(y))
        outs.append(np_of(x))
    np.testing.assert_array_equal(outs[1], outs[0])


def test_dropout_modules_train_and_eval():
    for cls, shape in (("Dropout", (6, 7)), ("Dropout1d", (3, 4, 5)), ("Dropout2d", (2, 3, 4, 5)),
                       ("Dropout3d", (2, 3, 2, 2, 2)), ("AlphaDropout", (6, 7)), ("FeatureAlphaDropout", (3, 4, 5))):
        x = np.random.default_rng(2).standard_normal(shape).astype(np.float32)
        outs = []
        for lib in (torch, numtorch):
            m = getattr(lib.nn, cls)(p=0.25)
            lib.manual_seed(11)
            outs.append(np_of(m(lib.tensor(x))))
            m.eval()
            assert np.array_equal(np_of(m(lib.tensor(x))), x)
        np.testing.assert_array_equal(outs[1], outs[0])
        assert repr(getattr(numtorch.nn, cls)(0.1, inplace=True)) == repr(getattr(torch.nn, cls)(0.1, inplace=True))


def test_dropout_errors_and_warnings():
    for lib in (torch, numtorch):
        for fn in (F(lib).dropout, F(lib).dropout1d, F(lib).dropout2d, F(lib).alpha_dropout):
            with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"):
                fn(lib.ones(2, 3, 4), 1.5)
        with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got -0.1"):
            lib.nn.Dropout2d(-0.1)
        with pytest.raises(RuntimeError, match="dropout1d: Expected 2D or 3D input, but received a 4D input"):
            F(lib).dropout1d(lib.ones(1, 2, 3, 4))
        with pytest.warns(UserWarning, match="dropout2d: Received a 2-D input to dropout2d"):
            F(lib).dropout2d(lib.ones(2, 3))
        with pytest.warns(UserWarning, match="dropout2d: Received a 3D input to dropout2d"):
            F(lib).dropout2d(lib.ones(2, 3, 4))
