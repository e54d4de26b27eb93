"""nn.utils.parametrize and nn.utils.parametrizations (weight_norm, spectral_norm, orthogonal), plus the
hook-based weight_norm / spectral_norm, against torch 2.13: state_dict keys, class names and reprs,
forward values and gradients with the same stored tensors, caching, right_inverse, removal, errors."""
import copy
import pickle
import warnings

import numpy as np
import pytest
import torch

import numtorch
from tests.nn.util import assert_close, nt_state

rng = np.random.default_rng(0)
X = rng.standard_normal((2, 3))


def _pair(build, fn, dtype=np.float64, **kw):
    """The same layer in both libraries, `fn` applied, numtorch's state loaded from torch's."""
    tm, nm = build(torch.nn), build(numtorch.nn)
    if dtype == np.float64:
        tm, nm = tm.double(), nm.double()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        fn(torch)(tm, **kw)
        fn(numtorch)(nm, **kw)
    assert list(nm.state_dict()) == list(tm.state_dict())
    nm.load_state_dict(nt_state(tm))
    assert type(nm).__name__ == type(tm).__name__ and repr(nm) == repr(tm)
    return tm, nm


def _forward_backward(tm, nm, x, dtype=np.float64, steps=1):
    """Forward (steps times: power iterations advance buffers) and the parameters' grads agree."""
    for _ in range(steps):
        ty, ny = tm(torch.tensor(x.astype(dtype))), nm(numtorch.tensor(x.astype(dtype)))
        assert_close(ny, ty, dtype, "forward")
    go = rng.standard_normal(ty.shape).astype(dtype)
    ty.backward(torch.tensor(go))
    ny.backward(numtorch.tensor(go))
    tp = dict(tm.named_parameters())
    for name, p in nm.named_parameters():
        assert_close(p.grad, tp[name].grad, dtype, f"grad of {name}")
    for name, b in tm.named_buffers():
        assert_close(nm.get_buffer(name), b, dtype, f"buffer {name}")


def P(mod):
    return mod.nn.utils.parametrizations


LINEAR = lambda nn: nn.Linear(3, 4)              # noqa: E731
WIDE = lambda nn: nn.Linear(5, 3)                # noqa: E731
SQUARE = lambda nn: nn.Linear(3, 3)              # noqa: E731
CONV = lambda nn: nn.Conv2d(2, 3, 2)             # noqa: E731


@pytest.mark.parametrize("dim", [0, 1, None])
def test_weight_norm(dim):
    tm, nm = _pair(LINEAR, lambda m: P(m).weight_norm, dim=dim)
    assert nm.weight.grad_fn.name() == tm.weight.grad_fn.name()
    _forward_backward(tm, nm, X)
    tm, nm = _pair(CONV, lambda m: P(m).weight_norm, dim=dim if dim != 1 else 2)
    _forward_backward(tm, nm, rng.standard_normal((1, 2, 3, 3)))


def test_weight_norm_gradcheck_and_old_checkpoint():
    v = numtorch.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    g = numtorch.tensor(rng.uniform(0.5, 2, (3, 1)), requires_grad=True)
    fn = P(numtorch)._weight_norm
    assert numtorch.autograd.gradcheck(lambda v, g: fn(v, g, 0), (v, g))
    assert numtorch.autograd.gradgradcheck(lambda v, g: fn(v, g, 0), (v, g))
    # a state_dict of the hook-based weight_norm loads into the parametrized one (torch's compat hook)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        old = torch.nn.utils.weight_norm(torch.nn.Linear(3, 4).double())
    nm = P(numtorch).weight_norm(numtorch.nn.Linear(3, 4).double())
    nm.load_state_dict(nt_state(old))
    assert_close(nm(numtorch.tensor(X)), old(torch.tensor(X)), np.float64)


@pytest.mark.parametrize("build", [LINEAR, WIDE, CONV])
def test_spectral_norm_matches_with_torchs_buffers(build):
    tm, nm = _pair(build, lambda m: P(m).spectral_norm)
    x = rng.standard_normal((1, 2, 3, 3)) if build is CONV else rng.standard_normal((2, tm.in_features))
    _forward_backward(tm, nm, x, steps=3)
    tm.eval(), nm.eval()
    _forward_backward(tm, nm, x)
    tm, nm = _pair(build, lambda m: P(m).spectral_norm, np.float32, n_power_iterations=2)
    _forward_backward(tm, nm, x, np.float32, steps=2)


def test_spectral_norm_init_and_errors():
    m = P(numtorch).spectral_norm(numtorch.nn.Linear(3, 4))
    u, v = m.parametrizations.weight[0]._u, m.parametrizations.weight[0]._v
    w = m.parametrizations.weight.original.detach().numpy()
    np.testing.assert_allclose(np.linalg.norm(u.numpy()), 1, rtol=1e-6)
    # after 15 power iterations u.W.v is close to the largest singular value
    np.testing.assert_allclose(u.numpy() @ w @ v.numpy(), np.linalg.svd(w, compute_uv=False)[0], rtol=1e-3)
    for mod in (numtorch, torch):
        with pytest.raises(ValueError, match="n_power_iterations"):
            P(mod).spectral_norm(mod.nn.Linear(3, 4), n_power_iterations=0)
        with pytest.raises(IndexError, match="Dimension out of range"):
            P(mod).spectral_norm(mod.nn.Linear(3, 4), dim=2)
        with pytest.raises(ValueError, match="has no parameter or buffer with name 'w'"):
            P(mod).spectral_norm(mod.nn.Linear(3, 4), name="w")


@pytest.mark.parametrize("orthogonal_map", [None, "matrix_exp", "cayley", "householder"])
@pytest.mark.parametrize("build", [LINEAR, WIDE, SQUARE])
def test_orthogonal(orthogonal_map, build):
    tm, nm = _pair(build, lambda m: P(m).orthogonal, orthogonal_map=orthogonal_map)
    # move off the identity start so the maps are exercised, then compare values and grads
    orig = rng.standard_normal(tuple(tm.parametrizations.weight.original.shape)) * 0.5
    if (orthogonal_map or "") == "householder" or (orthogonal_map is None and build is not SQUARE):
        orig[np.diag_indices(min(orig.shape))] = -1.0      # householder reads the diagonal's sign via int()
    with torch.no_grad():
        tm.parametrizations.weight.original.copy_(torch.tensor(orig))
    nm.load_state_dict(nt_state(tm))
    _forward_backward(tm, nm, rng.standard_normal((2, tm.in_features)))
    w = nm.weight.detach().numpy()
    small = min(w.shape)
    np.testing.assert_allclose(w @ w.T if w.shape[0] == small else w.T @ w, np.eye(small), atol=1e-12)


def test_orthogonal_errors_and_unsupported():
    for mod in (numtorch, torch):
        with pytest.raises(ValueError, match="Expected a matrix or batch of matrices"):
            P(mod).orthogonal(mod.nn.Linear(3, 4), name="bias")
        with pytest.raises(ValueError, match="orthogonal_map has to be one of"):
            P(mod).orthogonal(mod.nn.Linear(3, 4), orthogonal_map="qr")
    with pytest.raises(NotImplementedError, match="geqrf"):
        P(numtorch).orthogonal(numtorch.nn.Linear(3, 4), orthogonal_map="householder", use_trivialization=False)


def test_matrix_exp_gradcheck():
    a = numtorch.tensor(rng.standard_normal((2, 3, 3)), requires_grad=True)
    fn = P(numtorch).matrix_exp
    assert_close(fn(a), torch.matrix_exp(torch.tensor(a.detach().numpy())), np.float64)
    assert numtorch.autograd.gradcheck(fn, (a,))
    assert numtorch.autograd.gradgradcheck(fn, (a,))


# ======================================================================================
# register_parametrization itself
# ======================================================================================

def _modules(mod):
    class Symmetric(mod.nn.Module):
        def forward(self, x):
            return x.triu() + x.triu(1).mT

        def right_inverse(self, a):
            return a.triu()

    class Scale(mod.nn.Module):
        def forward(self, x):
            return x * 2

    class RankOne(mod.nn.Module):
        def forward(self, x, y):
            return x.unsqueeze(-1) @ y.unsqueeze(-2)

        def right_inverse(self, z):
            return z[:, 0].clone(), z[0].clone() / z[0, 0]

    class ToFloat(mod.nn.Module):
        def forward(self, x):
            return x.float()

    class Shrink(mod.nn.Module):
        def forward(self, x):
            return x[:1]
    return Symmetric, Scale, RankOne, ToFloat, Shrink


@pytest.mark.parametrize("lib", [numtorch, torch])
def test_register_right_inverse_stack_and_remove(lib):
    P_ = lib.nn.utils.parametrize
    Symmetric, Scale, RankOne, _, _ = _modules(lib)
    w = rng.standard_normal((3, 3))
    m = lib.nn.Linear(3, 3).double()
    with lib.no_grad():
        m.weight.copy_(lib.tensor(w))
    original = m.weight
    P_.register_parametrization(m, "weight", Symmetric())
    assert P_.is_parametrized(m) and P_.is_parametrized(m, "weight") and not P_.is_parametrized(m, "bias")
    assert m.parametrizations.weight.original is original             # same Parameter, set_ to triu(w)
    np.testing.assert_allclose(original.detach().numpy(), np.triu(w))
    np.testing.assert_allclose(m.weight.detach().numpy(), np.triu(w) + np.triu(w, 1).T)
    assert list(m.state_dict()) == ["bias", "parametrizations.weight.original"]
    assert P_.type_before_parametrizations(m) is lib.nn.Linear
    P_.register_parametrization(m, "weight", Scale())                  # stacked (no right_inverse)
    np.testing.assert_allclose(m.weight.detach().numpy(), 2 * (np.triu(w) + np.triu(w, 1).T))
    with pytest.raises(RuntimeError, match="Scale does not implement right_inverse"):
        m.weight = lib.zeros(3, 3, dtype=lib.float64)
    with P_.cached():
        assert m.weight is m.weight
    assert m.weight is not m.weight
    P_.remove_parametrizations(m, "weight", leave_parametrized=False)
    assert type(m) is lib.nn.Linear and not hasattr(m, "parametrizations")
    assert m.weight is original and list(m.state_dict()) == ["bias", "weight"]   # re-registered last
    # several originals (original0, original1), setting through right_inverse, leave_parametrized removal
    P_.register_parametrization(m, "weight", RankOne())
    assert list(m.state_dict()) == ["bias", "parametrizations.weight.original0", "parametrizations.weight.original1"]
    m.weight = lib.tensor(np.outer([1.0, 2, 3], [1.0, 4, 5]))
    np.testing.assert_allclose(m.weight.detach().numpy(), np.outer([1.0, 2, 3], [1.0, 4, 5]))
    with pytest.raises(ValueError, match="Cannot leave unparametrized"):
        P_.remove_parametrizations(m, "weight", leave_parametrized=False)
    P_.remove_parametrizations(m, "weight")
    assert isinstance(m.weight, lib.nn.Parameter)
    np.testing.assert_allclose(m.weight.detach().numpy(), np.outer([1.0, 2, 3], [1.0, 4, 5]))


def test_register_errors_match_torch():
    def run(lib):
        P_ = lib.nn.utils.parametrize
        _, Scale, _, ToFloat, Shrink = _modules(lib)
        out = []
        for fn in (lambda: P_.register_parametrization(lib.nn.Linear(3, 3).double(), "weight", ToFloat()),
                   lambda: P_.register_parametrization(lib.nn.Linear(3, 3), "weight", Shrink()),
                   lambda: P_.register_parametrization(lib.nn.Linear(3, 3), "nothing", Scale()),
                   lambda: P_.remove_parametrizations(lib.nn.Linear(3, 3), "weight"),
                   lambda: P_.register_parametrization(
                       P_.register_parametrization(lib.nn.Linear(3, 3), "weight", Scale()), "weight", Shrink())):
            try:
                fn()
                out.append(None)
            except Exception as e:   # noqa: BLE001 - compared with torch's
                out.append((type(e), str(e).split("\n")[0].replace("numtorch", "torch")))
        return out
    assert run(numtorch) == run(torch)
    m = numtorch.nn.utils.parametrize.register_parametrization(numtorch.nn.Linear(3, 3), "weight",
                                                               _modules(numtorch)[4](), unsafe=True)
    assert m.weight.shape == (1, 3)


def test_parametrized_training_deepcopy_and_pickle():
    _, Scale, _, _, _ = _modules(numtorch)
    m = numtorch.nn.utils.parametrize.register_parametrization(numtorch.nn.Linear(3, 2), "weight", Scale())
    m(numtorch.tensor(X, dtype=numtorch.float32)).sum().backward()
    grad = m.parametrizations.weight.original.grad.numpy()
    np.testing.assert_allclose(grad, 2 * np.tile(X.sum(0), (2, 1)), rtol=1e-6)
    c = copy.deepcopy(m)
    assert type(c).__name__ == "ParametrizedLinear" and c.parametrizations.weight.original is not \
        m.parametrizations.weight.original
    with pytest.raises(RuntimeError, match="Serialization of parametrized modules"):
        pickle.dumps(m)


# ======================================================================================
# hook-based weight_norm and spectral_norm
# ======================================================================================

def test_old_weight_norm_and_remove():
    U = lambda m: m.nn.utils   # noqa: E731
    tm, nm = _pair(LINEAR, lambda m: U(m).weight_norm, dim=0)
    assert list(nm.state_dict()) == ["bias", "weight_g", "weight_v"]
    _forward_backward(tm, nm, X)
    with pytest.warns(FutureWarning, match="deprecated"):
        numtorch.nn.utils.weight_norm(numtorch.nn.Linear(3, 4))
    with pytest.raises(RuntimeError, match="Cannot register two weight_norm hooks"), \
            pytest.warns(FutureWarning, match="deprecated in favor of"):
        numtorch.nn.utils.weight_norm(nm)
    numtorch.nn.utils.remove_weight_norm(nm)
    torch.nn.utils.remove_weight_norm(tm)
    assert list(nm.state_dict()) == list(tm.state_dict()) == ["bias", "weight"]
    assert_close(nm.weight, tm.weight, np.float64)
    with pytest.raises(ValueError, match="weight_norm of 'weight' not found"):
        numtorch.nn.utils.remove_weight_norm(nm)


def test_old_spectral_norm_and_remove():
    U = lambda m: m.nn.utils   # noqa: E731
    for build, x in ((LINEAR, X), (CONV, rng.standard_normal((1, 2, 3, 3)))):
        tm, nm = _pair(build, lambda m: U(m).spectral_norm)
        assert list(nm.state_dict()) == ["bias", "weight_orig", "weight_u", "weight_v"]
        _forward_backward(tm, nm, x, steps=2)
        assert nm.state_dict()._metadata[""]["spectral_norm"] == tm.state_dict()._metadata[""]["spectral_norm"]
        nm.load_state_dict(nt_state(tm))
        numtorch.nn.utils.remove_spectral_norm(nm)
        torch.nn.utils.remove_spectral_norm(tm)
        assert list(nm.state_dict()) == list(tm.state_dict()) == ["bias", "weight"]
        assert_close(nm.weight, tm.weight, np.float64)
        assert not nm._state_dict_hooks and not nm._load_state_dict_pre_hooks
    with pytest.raises(ValueError, match="spectral_norm of 'weight' not found"):
        numtorch.nn.utils.remove_spectral_norm(nm)
