"""RNN / LSTM / GRU and their cells against torch 2.13 with weights copied from torch's modules:
outputs, h_n / c_n, gradients of inputs, initial states and every parameter, for layers x
bidirectional x batch_first, unbatched inputs, dropout between layers, second derivatives, the
module contract (names, shapes, init, repr) and torch's errors. Packed batches:
test_packed_sequence.py."""
import numpy as np
import pytest
import torch

import numtorch
from tests.nn.util import np_of, nt_state

pytestmark = [pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN"),
              pytest.mark.filterwarnings("ignore:TF32 acceleration on top of oneDNN")]

TOL = {np.float64: dict(rtol=1e-9, atol=1e-11), np.float32: dict(rtol=5e-5, atol=5e-6)}
T, B, I, H = 4, 3, 5, 4

KINDS = {
    "rnn_tanh": lambda nn, **kw: nn.RNN(I, H, **kw),
    "rnn_relu": lambda nn, **kw: nn.RNN(I, H, nonlinearity="relu", **kw),
    "lstm": lambda nn, **kw: nn.LSTM(I, H, **kw),
    "lstm_proj": lambda nn, **kw: nn.LSTM(I, H, proj_size=2, **kw),
    "gru": lambda nn, **kw: nn.GRU(I, H, **kw),
}


def twins(build, dtype=np.float64, **kw):
    tm = build(torch.nn, **kw)
    nm = build(numtorch.nn, **kw)
    if dtype == np.float64:
        tm, nm = tm.double(), nm.double()
    nm.load_state_dict(nt_state(tm))
    return tm, nm


def flat(out):
    """The tensors of a recurrent module's result ((output, h) or (output, (h, c)))."""
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in flat(o)]
    return [out]


def close(a, b, dtype, what):
    a, b = np_of(a), np_of(b)
    assert a.shape == b.shape and a.dtype == b.dtype, (what, a.shape, b.shape, a.dtype, b.dtype)
    np.testing.assert_allclose(a, b, err_msg=what, **TOL[dtype])


def compare(tm, nm, arrays, dtype=np.float64, state_arrays=None):
    """Forward both modules (input and optional initial state), compare every output, then the
    gradients of the input, the initial state and every parameter for a random cotangent."""
    def make(mod):
        x = mod.tensor(arrays.astype(dtype), requires_grad=True)
        if state_arrays is None:
            return x, None, [x]
        hs = [mod.tensor(s.astype(dtype), requires_grad=True) for s in state_arrays]
        return x, (tuple(hs) if len(hs) == 2 else hs[0]), [x, *hs]
    xt, st, leaves_t = make(torch)
    xn, sn, leaves_n = make(numtorch)
    out_t, out_n = flat(tm(xt, st)), flat(nm(xn, sn))
    assert len(out_t) == len(out_n)
    rng = np.random.default_rng(3)
    gos = [rng.standard_normal(tuple(o.shape)).astype(dtype) for o in out_t]
    for i, (a, b) in enumerate(zip(out_n, out_t)):
        close(a, b, dtype, f"output {i}")
    params_t = dict(tm.named_parameters())
    names = list(params_t)
    params_n = dict(nm.named_parameters())
    gt = torch.autograd.grad(out_t, leaves_t + [params_t[k] for k in names], [torch.tensor(g) for g in gos])
    gn = numtorch.autograd.grad(out_n, leaves_n + [params_n[k] for k in names], [numtorch.tensor(g) for g in gos])
    for what, a, b in zip(["input", "h0", "c0"][:len(leaves_t)] + names, gn, gt):
        close(a, b, dtype, f"grad of {what}")


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("kind", list(KINDS))
def test_layers_match_torch(kind, num_layers, bidirectional, batch_first):
    tm, nm = twins(KINDS[kind], num_layers=num_layers, bidirectional=bidirectional, batch_first=batch_first)
    x = np.random.default_rng(0).standard_normal((B, T, I) if batch_first else (T, B, I))
    compare(tm, nm, x)


@pytest.mark.parametrize("kind", list(KINDS))
def test_initial_state_and_float32(kind):
    tm, nm = twins(KINDS[kind], np.float32, num_layers=2, bidirectional=True)
    rng = np.random.default_rng(1)
    out = H if kind != "lstm_proj" else 2
    states = [rng.standard_normal((4, B, out))]
    if kind.startswith("lstm"):
        states.append(rng.standard_normal((4, B, H)))
    compare(tm, nm, rng.standard_normal((T, B, I)), np.float32, states)


@pytest.mark.parametrize("kind", list(KINDS))
def test_unbatched_input(kind):
    tm, nm = twins(KINDS[kind], num_layers=2, bidirectional=True, batch_first=True)
    rng = np.random.default_rng(2)
    compare(tm, nm, rng.standard_normal((T, I)))
    out = H if kind != "lstm_proj" else 2
    states = [rng.standard_normal((4, out))] + ([rng.standard_normal((4, H))] if kind.startswith("lstm") else [])
    compare(tm, nm, rng.standard_normal((T, I)), state_arrays=states)


def test_no_bias_and_relu():
    for build in (lambda nn: nn.GRU(I, H, bias=False, num_layers=2), lambda nn: nn.RNN(I, H, 2, "relu", False),
                  lambda nn: nn.LSTM(I, H, bias=False, proj_size=3)):
        tm, nm = twins(lambda nn, **kw: build(nn))
        assert list(nm.state_dict()) == list(tm.state_dict())
        compare(tm, nm, np.random.default_rng(4).standard_normal((T, B, I)))


def test_dropout_between_layers():
    """p=1 zeroes every layer's output but the last, in training only (deterministic, so torch agrees)."""
    tm, nm = twins(KINDS["lstm"], num_layers=3, dropout=1.0)
    x = np.random.default_rng(5).standard_normal((T, B, I))
    compare(tm, nm, x)
    tm.eval(), nm.eval()
    compare(tm, nm, x)
    nm.train()
    nm.dropout = 0.5
    xs = numtorch.tensor(x)
    a, b = nm(xs)[0], nm(xs)[0]
    assert not np.allclose(np_of(a), np_of(b))   # a fresh mask per call
    nm.eval()
    assert np.allclose(np_of(nm(xs)[0]), np_of(nm(xs)[0]))


def test_empty_batch():
    tm, nm = twins(KINDS["gru"], num_layers=2)
    out_t, h_t = tm(torch.zeros((T, 0, I), dtype=torch.float64))
    out_n, h_n = nm(numtorch.zeros((T, 0, I), dtype=numtorch.float64))
    assert tuple(out_n.shape) == tuple(out_t.shape) and tuple(h_n.shape) == tuple(h_t.shape)


def _grad_of_grad(mod, m, x, weight_name):
    xi = mod.tensor(x, requires_grad=True)
    out = flat(m(xi))
    s = sum((o ** 2).sum() for o in out)
    g, = mod.autograd.grad(s, xi, create_graph=True)
    return [g, *mod.autograd.grad((g ** 2).sum(), [xi, getattr(m, weight_name)])]


@pytest.mark.parametrize("kind", list(KINDS))
def test_second_derivatives(kind):
    """Recurrences are composed of differentiable ops, so grad-of-grad matches torch's (oneDNN off:
    its fused LSTM kernel has no double backward)."""
    tm, nm = twins(KINDS[kind], num_layers=2, bidirectional=True)
    x = np.random.default_rng(6).standard_normal((3, 2, I))
    with torch.backends.mkldnn.flags(enabled=False):
        theirs = _grad_of_grad(torch, tm, x, "weight_hh_l1_reverse")
    for a, b in zip(_grad_of_grad(numtorch, nm, x, "weight_hh_l1_reverse"), theirs):
        close(a, b, np.float64, "grad-of-grad")


@pytest.mark.parametrize("cell", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cell_second_derivatives(cell):
    tm, nm = twins(lambda nn, **kw: getattr(nn, cell)(3, 2))
    x = np.random.default_rng(6).standard_normal((2, 3))
    for a, b in zip(_grad_of_grad(numtorch, nm, x, "weight_hh"), _grad_of_grad(torch, tm, x, "weight_hh")):
        close(a, b, np.float64, "grad-of-grad")


def test_gradgradcheck():
    _, nm = twins(lambda nn, **kw: nn.LSTM(2, 3, proj_size=1, bidirectional=True))
    x = numtorch.tensor(np.random.default_rng(9).standard_normal((2, 1, 2)), requires_grad=True)
    assert numtorch.autograd.gradgradcheck(lambda x: nm(x)[0], (x,), atol=1e-5)


@pytest.mark.parametrize("cell", ["RNNCell", "LSTMCell", "GRUCell"])
@pytest.mark.parametrize("bias", [True, False])
def test_cells(cell, bias):
    tm, nm = twins(lambda nn, **kw: getattr(nn, cell)(I, H, bias=bias))
    assert repr(nm) == repr(tm)
    rng = np.random.default_rng(7)
    compare(tm, nm, rng.standard_normal((B, I)))
    compare(tm, nm, rng.standard_normal(I))
    states = [rng.standard_normal((B, H))] * (2 if cell == "LSTMCell" else 1)
    compare(tm, nm, rng.standard_normal((B, I)), state_arrays=states)
    compare(tm, nm, rng.standard_normal(I), state_arrays=[s[0] for s in states])


def test_relu_cell():
    tm, nm = twins(lambda nn, **kw: nn.RNNCell(I, H, nonlinearity="relu"))
    assert repr(nm) == repr(tm)
    compare(tm, nm, np.random.default_rng(8).standard_normal((B, I)))


@pytest.mark.parametrize("build", [
    lambda nn: nn.LSTM(4, 3, num_layers=2, bidirectional=True, batch_first=True, proj_size=2, dropout=0.1),
    lambda nn: nn.GRU(4, 3, bias=False),
    lambda nn: nn.RNN(4, 3, 3, "relu"),
    lambda nn: nn.LSTMCell(4, 3),
    lambda nn: nn.RNNCell(4, 3, False, "relu"),
])
def test_parameters_names_shapes_init_and_repr(build):
    tm, nm = build(torch.nn), build(numtorch.nn)
    assert repr(nm) == repr(tm)
    assert [(k, tuple(v.shape)) for k, v in nm.named_parameters()] == \
        [(k, tuple(v.shape)) for k, v in tm.named_parameters()]
    bound = 1 / np.sqrt(nm.hidden_size)
    for p in nm.parameters():
        assert p.requires_grad and np.all(np.abs(np_of(p)) <= bound)
    if hasattr(tm, "_flat_weights_names"):
        assert nm._flat_weights_names == tm._flat_weights_names
        assert nm._all_weights == tm._all_weights
        assert [[tuple(w.shape) for w in ws] for ws in nm.all_weights] == \
            [[tuple(w.shape) for w in ws] for ws in tm.all_weights]
        nm.flatten_parameters()


def test_module_contract():
    m = numtorch.nn.LSTM(3, 2, num_layers=2)
    m.weight_hh_l1 = numtorch.nn.Parameter(numtorch.zeros(8, 2))
    assert m._flat_weights[m._flat_weights_names.index("weight_hh_l1")] is m.weight_hh_l1
    import copy
    import pickle
    for clone in (copy.deepcopy(m), pickle.loads(pickle.dumps(m))):
        x = numtorch.randn(4, 1, 3)
        assert np.allclose(np_of(clone(x)[0]), np_of(m(x)[0]))
    assert m.float() is m and m.weight_ih_l0.dtype == numtorch.float32


@pytest.mark.parametrize("expr", [
    lambda nn, t: nn.RNN(4, 3)(t.randn(5, 2, 6)),
    lambda nn, t: nn.RNN(4, 3)(t.randn(5, 2, 4, dtype=t.float64)),
    lambda nn, t: nn.RNN(4, 3)(t.randn(5, 2, 4), t.randn(2, 2, 3)),
    lambda nn, t: nn.RNN(4, 3)(t.randn(5, 2, 4), t.randn(2, 3)),
    lambda nn, t: nn.RNN(4, 3)(t.randn(5, 4), t.randn(1, 2, 3)),
    lambda nn, t: nn.GRU(4, 3)(t.randn(5, 2, 4, 1)),
    lambda nn, t: nn.RNN(4, 3)(t.randn(5, 2, 4, 1)),
    lambda nn, t: nn.LSTM(4, 3)(t.randn(5, 2, 4, 1)),
    lambda nn, t: nn.LSTM(4, 3)(t.randn(5, 2, 4), (t.randn(1, 2, 3), t.randn(1, 3, 3))),
    lambda nn, t: nn.LSTM(4, 3, proj_size=2)(t.randn(5, 2, 4), (t.randn(1, 2, 3), t.randn(1, 2, 3))),
    lambda nn, t: nn.LSTM(4, 3)(t.randn(5, 2, 4), (t.randn(2, 3), t.randn(2, 3))),
    lambda nn, t: nn.LSTM(4, 3)(t.randn(5, 4), (t.randn(1, 1, 3), t.randn(1, 3))),
    lambda nn, t: nn.RNN(4, 3, nonlinearity="sigmoid"),
    lambda nn, t: nn.GRU(4, 3, proj_size=1),
    lambda nn, t: nn.LSTM(4, 3, proj_size=3),
    lambda nn, t: nn.LSTM(4, 3, proj_size=-1),
    lambda nn, t: nn.LSTM(4, 3, dropout=1.5),
    lambda nn, t: nn.LSTM(4, 3, dropout=True),
    lambda nn, t: nn.LSTM(4, 0),
    lambda nn, t: nn.LSTM(0, 3),
    lambda nn, t: nn.LSTM(4, 3, num_layers=0),
    lambda nn, t: nn.LSTM(4.0, 3),
    lambda nn, t: nn.LSTM(4, 3, bias=1),
    lambda nn, t: nn.RNNCell(4, 3)(t.randn(2, 5)),
    lambda nn, t: nn.RNNCell(4, 3)(t.randn(2, 4), t.randn(2, 5)),
    lambda nn, t: nn.RNNCell(4, 3)(t.randn(2, 4), t.randn(3, 3)),
    lambda nn, t: nn.RNNCell(4, 3)(t.randn(2, 4), t.randn(1, 2, 3)),
    lambda nn, t: nn.RNNCell(4, 3, nonlinearity="x")(t.randn(2, 4)),
    lambda nn, t: nn.LSTMCell(4, 3)(t.randn(2, 4), (t.randn(2, 3), t.randn(3, 3))),
    lambda nn, t: nn.LSTMCell(4, 3)(t.randn(2, 4), (t.randn(2, 3), t.randn(1, 2, 3))),
    lambda nn, t: nn.GRUCell(4, 3)(t.randn(2, 2, 4)),
    lambda nn, t: nn.LSTM(4, 3)(t.randn(0, 2, 4)),
])
def test_errors_match_torch(expr):
    with pytest.raises(Exception) as theirs:
        expr(torch.nn, torch)
    with pytest.raises(type(theirs.value)) as ours:
        expr(numtorch.nn, numtorch)
    assert str(ours.value) == str(theirs.value)


def test_dropout_warning():
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        numtorch.nn.GRU(4, 3, dropout=0.5)
    # PackedSequence inputs: tests/nn/test_packed_sequence.py
