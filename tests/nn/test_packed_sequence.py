"""nn.utils.rnn (PackedSequence, pack/pad/unpad functions) and RNN / LSTM / GRU on packed
batches against torch 2.13: values, batch sizes, index permutations, dtypes, grad_fn names,
gradients through packing and padding and through the recurrences (inputs, initial states,
every parameter, grad-of-grad), seeded dropout masks between layers, and torch's errors."""
import numpy as np
import pytest
import torch
import torch.nn.utils.rnn as T

import numtorch
import numtorch.nn.utils.rnn as N
from numtorch.nn.utils.rnn import pack_padded_sequence  # noqa: F401 - importable as in torch
from tests.nn.test_rnn import KINDS, H, I, flat
from tests.nn.util import np_of, nt_state

pytestmark = [pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN"),
              pytest.mark.filterwarnings("ignore:TF32 acceleration on top of oneDNN")]

TOL = dict(rtol=1e-9, atol=1e-11)
STEPS, BATCH = 5, 4
LENGTHS = {True: [5, 4, 2, 2], False: [2, 5, 1, 4]}   # by enforce_sorted
RNG = np.random.default_rng(0)
X = RNG.standard_normal((STEPS, BATCH, I))


def same(a, b, what=""):
    a, b = np_of(a), np_of(b)
    assert a.shape == b.shape and a.dtype == b.dtype, (what, a.shape, b.shape, a.dtype, b.dtype)
    np.testing.assert_allclose(a, b, err_msg=what, **TOL)


def same_packed(pn, pt):
    same(pn.data, pt.data, "data")
    same(pn.batch_sizes, pt.batch_sizes, "batch_sizes")
    for name in ("sorted_indices", "unsorted_indices"):
        a, b = getattr(pn, name), getattr(pt, name)
        assert (a is None) == (b is None), name
        if a is not None:
            same(a, b, name)


def leaf(mod, a):
    return mod.tensor(a, requires_grad=True)


def grads_match(out_n, out_t, leaves_n, leaves_t, names=None):
    """Backpropagate the same random cotangents through both; compare the leaves' gradients."""
    out_n, out_t = list(out_n), list(out_t)
    rng = np.random.default_rng(1)
    gos = [rng.standard_normal(tuple(o.shape)) for o in out_t]
    gt = torch.autograd.grad(out_t, leaves_t, [torch.tensor(g) for g in gos])
    gn = numtorch.autograd.grad(out_n, leaves_n, [numtorch.tensor(g) for g in gos])
    for i, (a, b) in enumerate(zip(gn, gt)):
        same(a, b, f"grad of {names[i] if names else i}")


# -- packing and padding ------------------------------------------------------------------------

@pytest.mark.parametrize("enforce_sorted", [True, False])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("trailing", [(), (2, 1)])
def test_pack_then_pad_round_trip(batch_first, enforce_sorted, trailing):
    x = RNG.standard_normal((STEPS, BATCH) + trailing)
    if batch_first:
        x = np.swapaxes(x, 0, 1).copy()
    lengths = LENGTHS[enforce_sorted]
    xn, xt = leaf(numtorch, x), leaf(torch, x)
    pn = N.pack_padded_sequence(xn, numtorch.tensor(lengths), batch_first, enforce_sorted)
    pt = T.pack_padded_sequence(xt, torch.tensor(lengths), batch_first, enforce_sorted)
    same_packed(pn, pt)
    assert type(pn.data.grad_fn).__name__ == type(pt.data.grad_fn).__name__ == "PackPaddedSequenceBackward0"
    on, ln = N.pad_packed_sequence(pn, batch_first, padding_value=-1.5, total_length=7)
    ot, lt = T.pad_packed_sequence(pt, batch_first, padding_value=-1.5, total_length=7)
    same(on, ot, "padded")
    same(ln, lt, "lengths")
    assert type(on.grad_fn).__name__ == type(ot.grad_fn).__name__
    grads_match([pn.data, on], [pt.data, ot], [xn], [xt])


def test_pack_lengths_forms_and_unsorted_ties():
    """lengths may be a list, tuple, array or float tensor (truncated); equal lengths keep their order."""
    x = RNG.standard_normal((STEPS, 6))
    for lengths in ([5, 3, 3], (5, 3, 3), np.array([5, 3, 3]), torch.tensor([5.0, 3.5, 3.0])):
        ln = numtorch.tensor(lengths.numpy()) if isinstance(lengths, torch.Tensor) else lengths
        same_packed(N.pack_padded_sequence(numtorch.tensor(x[:, :3]), ln),
                    T.pack_padded_sequence(torch.tensor(x[:, :3]), lengths))
    ties = [2, 3, 2, 3, 3, 2]
    same_packed(N.pack_padded_sequence(numtorch.tensor(x), ties, enforce_sorted=False),
                T.pack_padded_sequence(torch.tensor(x), ties, enforce_sorted=False))


@pytest.mark.parametrize("padding_side", ["right", "left"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_pad_sequence(batch_first, padding_side):
    arrays = [RNG.standard_normal((n, 2)) for n in (2, 4, 1)]
    sn, st = [leaf(numtorch, a) for a in arrays], [leaf(torch, a) for a in arrays]
    on = N.pad_sequence(sn, batch_first, 0.25, padding_side)
    ot = T.pad_sequence(st, batch_first, 0.25, padding_side)
    same(on, ot)
    assert type(on.grad_fn).__name__ == type(ot.grad_fn).__name__ == "CopySlices"
    grads_match([on], [ot], sn, st)
    ints = [np.arange(n) for n in (3, 1)]
    same(N.pad_sequence([numtorch.tensor(a) for a in ints], padding_value=7),
         T.pad_sequence([torch.tensor(a) for a in ints], padding_value=7))
    same(N.pad_sequence(numtorch.tensor(arrays[0])), T.pad_sequence(torch.tensor(arrays[0])))   # rows


@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_pack_unpack_unpad_sequence(enforce_sorted):
    sizes = (4, 2, 1) if enforce_sorted else (2, 4, 1)
    arrays = [RNG.standard_normal((n, 3)) for n in sizes]
    sn, st = [leaf(numtorch, a) for a in arrays], [leaf(torch, a) for a in arrays]
    pn, pt = N.pack_sequence(sn, enforce_sorted), T.pack_sequence(st, enforce_sorted)
    same_packed(pn, pt)
    un, ut = N.unpack_sequence(pn), T.unpack_sequence(pt)
    assert len(un) == len(ut) == 3
    for a, b in zip(un, ut):
        same(a, b)
    grads_match(un, ut, sn, st)
    for batch_first in (False, True):
        padded = RNG.standard_normal((3, 4, 2))
        pn_, pt_ = leaf(numtorch, padded), leaf(torch, padded)
        lengths = [2, 3, 1] if batch_first else [3, 2, 4, 1]
        un = N.unpad_sequence(pn_ * 1, numtorch.tensor(lengths), batch_first)
        ut = T.unpad_sequence(pt_ * 1, torch.tensor(lengths), batch_first)
        for a, b in zip(un, ut):
            same(a, b)
        grads_match(un, ut, [pn_], [pt_])


def test_packed_sequence_object():
    pn = N.pack_sequence([numtorch.tensor([1.0, 2.0, 3.0]), numtorch.tensor([4.0])], enforce_sorted=False)
    pt = T.pack_sequence([torch.tensor([1.0, 2.0, 3.0]), torch.tensor([4.0])], enforce_sorted=False)
    assert repr(pn) == repr(pt)
    assert isinstance(pn, tuple) and pn._fields == pt._fields
    data, batch_sizes, sorted_indices, unsorted_indices = pn
    assert data is pn.data and pn[1] is batch_sizes
    assert numtorch.nn.utils.rnn.PackedSequence is N.PackedSequence
    for conv in ("double", "float", "half", "long", "int", "short", "char", "byte"):
        a, b = getattr(pn, conv)(), getattr(pt, conv)()
        assert str(a.data.dtype) == str(b.data.dtype) and str(a.batch_sizes.dtype) == str(b.batch_sizes.dtype)
    assert pn.float() is pn and pn.to(numtorch.float64).data.dtype == numtorch.float64
    assert not pn.is_cuda and not pn.is_pinned()
    made = N.PackedSequence((numtorch.tensor([1.0, 2.0]), numtorch.tensor([1, 1])), sorted_indices=None)
    assert repr(made) == repr(T.PackedSequence((torch.tensor([1.0, 2.0]), torch.tensor([1, 1]))))
    perm = [2, 0, 3, 1]
    same(N.invert_permutation(numtorch.tensor(perm)), T.invert_permutation(torch.tensor(perm)))
    assert N.invert_permutation(None) is None
    with_indices = N.PackedSequence(numtorch.zeros(3), numtorch.tensor([2, 1]), numtorch.tensor([1, 0]))
    same(with_indices.unsorted_indices, torch.tensor([1, 0]))


@pytest.mark.parametrize("expr", [
    lambda R, t: R.pack_padded_sequence(t.zeros(4, 3, 2), [2, 4, 1]),
    lambda R, t: R.pack_padded_sequence(t.zeros(4, 3, 2), [4, 2, 0]),
    lambda R, t: R.pack_padded_sequence(t.zeros(4, 3, 2), [0, 2, 1]),
    lambda R, t: R.pack_padded_sequence(t.zeros(4, 3, 2), [4, 2, -1], enforce_sorted=False),
    lambda R, t: R.pack_padded_sequence(t.zeros(4, 3, 2), [4, 2]),
    lambda R, t: R.pack_padded_sequence(t.zeros(4, 3, 2), t.tensor([[4, 2, 1]])),
    lambda R, t: R.pack_padded_sequence(t.zeros(4), [4]),
    lambda R, t: R.pad_packed_sequence(R.pack_padded_sequence(t.zeros(4, 3), [4, 2, 1]), total_length=3),
    lambda R, t: R.pad_sequence([]),
    lambda R, t: R.pad_sequence([], padding_side="middle"),
    lambda R, t: R.pad_sequence([t.zeros(3)], padding_side="middle"),
    lambda R, t: R.pad_sequence(5),
    lambda R, t: R.pack_sequence([t.zeros(2, 2), t.zeros(3, 2)]),
    lambda R, t: R.PackedSequence(t.zeros(3)),
    lambda R, t: R.unpad_sequence(t.zeros(3, 2), t.tensor([3, 1, 1])),
])
def test_errors_match_torch(expr):
    with pytest.raises(Exception) as theirs:
        expr(T, torch)
    with pytest.raises(type(theirs.value)) as ours:
        expr(N, numtorch)
    assert str(ours.value) == str(theirs.value)


def test_errors_torch_does_not_raise():
    """Lengths beyond the padded length: torch reads past the input; numtorch refuses."""
    with pytest.raises(RuntimeError, match="exceeds the padded length"):
        N.pack_padded_sequence(numtorch.zeros(4, 3), [5, 2, 1])
    with pytest.raises(RuntimeError, match="at least one dimension"):
        N.pad_sequence([numtorch.tensor(1.0)])


# -- recurrent layers on packed batches ------------------------------------------------------------

def twins(kind, **kw):
    tm, nm = KINDS[kind](torch.nn, **kw).double(), KINDS[kind](numtorch.nn, **kw).double()
    nm.load_state_dict(nt_state(tm))
    return tm, nm


def initial_state(mod, kind, layers_dirs, rng):
    h = mod.tensor(rng.standard_normal((layers_dirs, BATCH, 2 if kind == "lstm_proj" else H)), requires_grad=True)
    if kind.startswith("lstm"):
        return (h, mod.tensor(rng.standard_normal((layers_dirs, BATCH, H)), requires_grad=True))
    return h


def run_packed(mod, m, kind, x, lengths, with_state, enforce_sorted, batch_first):
    xi = mod.tensor(x, requires_grad=True)
    layers_dirs = m.num_layers * (2 if m.bidirectional else 1)
    hx = initial_state(mod, kind, layers_dirs, np.random.default_rng(2)) if with_state else None
    rnn_utils = T if mod is torch else N
    packed = rnn_utils.pack_padded_sequence(xi, lengths, batch_first=batch_first, enforce_sorted=enforce_sorted)
    out, hidden = m(packed, hx)
    assert isinstance(out, rnn_utils.PackedSequence)
    assert out.batch_sizes is packed.batch_sizes and out.sorted_indices is packed.sorted_indices
    padded, _ = rnn_utils.pad_packed_sequence(out, batch_first=batch_first)
    leaves = [xi] + ([] if hx is None else flat(hx)) + list(m.parameters())
    return [out.data, padded] + flat(hidden), leaves


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("kind", list(KINDS))
def test_layers_on_packed_batches(kind, num_layers, bidirectional):
    """Outputs, final states per sequence (in the caller's batch order) and all gradients."""
    tm, nm = twins(kind, num_layers=num_layers, bidirectional=bidirectional)
    cases = [(False, False, False), (True, True, True)] if num_layers == 2 else [(True, False, False)]
    for with_state, enforce_sorted, batch_first in cases:
        x = np.swapaxes(X, 0, 1).copy() if batch_first else X
        lengths = LENGTHS[enforce_sorted]
        out_t, leaves_t = run_packed(torch, tm, kind, x, lengths, with_state, enforce_sorted, batch_first)
        out_n, leaves_n = run_packed(numtorch, nm, kind, x, lengths, with_state, enforce_sorted, batch_first)
        for i, (a, b) in enumerate(zip(out_n, out_t)):
            same(a, b, f"output {i}")
        names = ["input"] + (["h0", "c0"][:len(leaves_t) - 1 - len(list(tm.parameters()))]) + \
            [k for k, _ in tm.named_parameters()]
        grads_match(out_n, out_t, leaves_n, leaves_t, names)


def test_packed_batch_of_equal_lengths_equals_the_padded_run():
    _, nm = twins("gru", num_layers=2, bidirectional=True)
    x = numtorch.tensor(X)
    out, h = nm(N.pack_padded_sequence(x, [STEPS] * BATCH))
    ref, ref_h = nm(x)
    same(out.data.view(STEPS, BATCH, -1), ref)
    same(h, ref_h)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_packed_dropout_masks_match_torch(kind):
    """Dropout between layers draws torch's masks (on the packed data) under the same seed."""
    def run(mod, rnn_utils):
        mod.manual_seed(0)
        m = KINDS[kind](mod.nn, num_layers=3, dropout=0.4, bidirectional=True)
        mod.manual_seed(5)
        packed = rnn_utils.pack_padded_sequence(mod.tensor(X.astype(np.float32)), LENGTHS[False],
                                                enforce_sorted=False)
        out, hidden = m(packed)
        return [out.data] + flat(hidden)
    for a, b in zip(run(numtorch, N), run(torch, T)):
        np.testing.assert_allclose(np_of(a), np_of(b), rtol=1e-5, atol=1e-6)


def test_packed_second_derivatives():
    tm, nm = twins("lstm", bidirectional=True)

    def grad_of_grad(mod, m, rnn_utils):
        x = mod.tensor(X[:3, :3], requires_grad=True)
        out, (h, c) = m(rnn_utils.pack_padded_sequence(x, [1, 3, 2], enforce_sorted=False))
        s = (out.data ** 2).sum() + (h ** 2).sum() + c.sum()
        g, = mod.autograd.grad(s, x, create_graph=True)
        return [g, *mod.autograd.grad((g ** 2).sum(), [x, m.weight_hh_l0_reverse])]
    with torch.backends.mkldnn.flags(enabled=False):
        theirs = grad_of_grad(torch, tm, T)
    for a, b in zip(grad_of_grad(numtorch, nm, N), theirs):
        same(a, b, "grad-of-grad")


@pytest.mark.parametrize("expr", [
    lambda nn, R, t: nn.GRU(2, 3)(R.pack_sequence([t.randn(3, 2), t.randn(2, 2)]), t.zeros(1, 3, 3)),
    lambda nn, R, t: nn.GRU(2, 3)(R.pack_sequence([t.randn(3, 2), t.randn(2, 2)]), t.zeros(2, 2, 3)),
    lambda nn, R, t: nn.GRU(2, 3)(R.pack_sequence([t.randn(3, 3), t.randn(2, 3)])),
    lambda nn, R, t: nn.LSTM(2, 3)((t.zeros(3, 2), t.tensor([2, 1]))),
])
def test_layer_errors_match_torch(expr):
    with pytest.raises(Exception) as theirs:
        expr(torch.nn, T, torch)
    with pytest.raises(type(theirs.value)) as ours:
        expr(numtorch.nn, N, numtorch)
    assert str(ours.value) == str(theirs.value)
