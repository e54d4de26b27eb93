"""A leaf's first .grad may take over the gradient array (no copy), but only when nothing else
can see that array: otherwise a later in-place accumulation would change someone else's data."""
import numpy as np

import numtorch as nt


def _shares(a, b) -> bool:
    return np.shares_memory(a.grad._data, b._data if isinstance(b, nt.Tensor) else b)


def test_fresh_gradient_is_taken_without_copy():
    calls = []

    class Fresh(nt.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            out = g * 3
            calls.append(out._data.__array_interface__["data"][0])
            return out

    x = nt.ones(1000, requires_grad=True)
    Fresh.apply(x).sum().backward()
    assert x.grad._data.__array_interface__["data"][0] == calls[0]   # no copy was made


def test_one_array_routed_to_two_leaves_is_copied():
    a, b = nt.ones(3, requires_grad=True), nt.ones(3, requires_grad=True)
    (a + b).sum().backward()
    assert not np.shares_memory(a.grad._data, b.grad._data)
    a.grad.add_(1)
    assert b.grad.tolist() == [1.0, 1.0, 1.0]


def test_array_kept_by_a_function_is_copied():
    """Sentinel for _FRESH_REFS: if the engine's own reference count drops, this array (held by
    one outside reference) would be taken, and .grad would alias it."""
    kept = []

    class Keeps(nt.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            out = g * 3
            kept.append(out)
            return out

    x = nt.ones(4, requires_grad=True)
    Keeps.apply(x).sum().backward()
    assert not _shares(x, kept[0])
    (Keeps.apply(x).sum()).backward()
    assert kept[0].tolist() == [3.0] * 4 and x.grad.tolist() == [6.0] * 4


def test_gradient_returned_by_a_hook_and_kept_is_copied():
    kept = []

    def hook(g):
        new = g * 2
        kept.append(new)
        return new

    x = nt.ones(3, requires_grad=True)
    x.register_hook(hook)
    (x * 1).sum().backward()
    assert not _shares(x, kept[0])
    x.grad.add_(1)
    assert kept[0].tolist() == [2.0] * 3


def test_captured_and_accumulated_gradients_do_not_alias():
    x = nt.ones(3, requires_grad=True)
    y = (x * 2).sum()
    y.backward(inputs=[x], retain_graph=True)
    g, = nt.autograd.grad(y, x)
    x.grad.add_(1)
    assert g.tolist() == [2.0] * 3
