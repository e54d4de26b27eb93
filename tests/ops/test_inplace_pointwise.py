"""In-place elementwise ops against torch 2.13: values and dtypes, the version counter, torch's errors
(leaf that requires grad, result type that cannot be cast, broadcasting that would grow the tensor),
and gradients through in-place ops on non-leaf tensors."""
import numpy as np
import pytest
import torch

import numtorch

RNG = np.random.default_rng(0)
F = RNG.uniform(0.2, 0.9, (2, 3))
G = RNG.uniform(0.2, 0.9, (2, 3))
H = RNG.uniform(0.2, 0.9, (3,))


def _np(t):
    return t.detach().numpy(force=True) if isinstance(t, torch.Tensor) else np.asarray(t.detach()._data)


def _env(m):
    return dict(torch=m, f=m.tensor(F), g=m.tensor(G), h=m.tensor(H), f32=m.tensor(F.astype(np.float32)),
                i=m.tensor([[3, -2, 0], [7, 1, -1]]), j=m.tensor([[2, 5, 1], [3, 1, 4]]),
                b=m.tensor([[True, False, True], [False, True, True]]), s=m.tensor(0.25, dtype=m.float64))


# (tensor, method, args): the call made on a clone of the tensor, on both libraries.
CALLS = [
    ("f", "add_", "g"), ("f", "add_", "h, alpha=-0.5"), ("f", "add_", "2"), ("f32", "add_", "f"), ("f", "add_", "s"),
    ("f", "sub_", "h"), ("f", "sub_", "g, alpha=3"), ("f", "mul_", "g"), ("f", "mul_", "0.5"), ("f", "mul_", "i"),
    ("f", "div_", "g"), ("f", "div_", "3"), ("f", "div_", "g, rounding_mode='floor'"),
    ("f", "true_divide_", "h"), ("f", "floor_divide_", "0.3"), ("f", "remainder_", "0.3"), ("f", "fmod_", "h"),
    ("f", "pow_", "2"), ("f", "pow_", "g"), ("f", "float_power_", "1.5"), ("f", "neg_", ""), ("f", "negative_", ""),
    ("f", "abs_", ""), ("f", "absolute_", ""), ("f", "sign_", ""), ("f", "sgn_", ""), ("f", "sqrt_", ""),
    ("f", "rsqrt_", ""), ("f", "square_", ""), ("f", "reciprocal_", ""), ("f", "exp_", ""), ("f", "exp2_", ""),
    ("f", "expm1_", ""), ("f", "log_", ""), ("f", "log2_", ""), ("f", "log10_", ""), ("f", "log1p_", ""),
    ("f", "sin_", ""), ("f", "cos_", ""), ("f", "tan_", ""), ("f", "asin_", ""), ("f", "acos_", ""),
    ("f", "atan_", ""), ("f", "arcsin_", ""), ("f", "sinh_", ""), ("f", "cosh_", ""), ("f", "tanh_", ""),
    ("f", "asinh_", ""), ("f", "atanh_", ""), ("f", "sigmoid_", ""), ("f", "logit_", ""), ("f", "logit_", "0.3"),
    ("f", "erf_", ""), ("f", "erfc_", ""), ("f", "erfinv_", ""), ("f", "relu_", ""), ("f", "deg2rad_", ""),
    ("f", "rad2deg_", ""), ("f", "clamp_", "0.3, 0.6"), ("f", "clamp_", "min=0.5"), ("f", "clamp_", "g, h"),
    ("f", "clip_", "max=0.4"), ("f", "clamp_min_", "0.5"), ("f", "clamp_max_", "g"), ("f", "lerp_", "g, 0.3"),
    ("f", "lerp_", "g, 0.8"), ("f", "lerp_", "h, g"), ("f", "addcmul_", "g, h, value=-2"),
    ("f", "addcdiv_", "g, h, value=0.5"), ("f32", "addcdiv_", "f32, f32"), ("f", "atan2_", "g"),
    ("f", "arctan2_", "h"), ("f", "hypot_", "g"), ("f", "copysign_", "-1"), ("f", "copysign_", "g - 0.5"),
    ("f", "xlogy_", "g"), ("f", "xlogy_", "2"), ("f", "heaviside_", "g"), ("f", "nan_to_num_", ""),
    ("f", "floor_", ""), ("f", "ceil_", ""), ("f", "round_", ""), ("f", "round_", "decimals=1"), ("f", "trunc_", ""),
    ("f", "fix_", ""), ("f", "frac_", ""),
    ("f", "__iadd__", "g"), ("f", "__isub__", "1"), ("f", "__imul__", "h"), ("f", "__itruediv__", "g"),
    ("f", "__ifloordiv__", "0.2"), ("f", "__imod__", "0.2"), ("f", "__ipow__", "g"),
    ("i", "add_", "j"), ("i", "add_", "3, alpha=2"), ("i", "sub_", "j"), ("i", "mul_", "-2"), ("i", "abs_", ""),
    ("i", "neg_", ""), ("i", "sign_", ""), ("i", "square_", ""), ("i", "relu_", ""), ("i", "clamp_", "-1, 2"),
    ("i", "floor_divide_", "j"), ("i", "remainder_", "j"), ("i", "fmod_", "-2"),
    ("i", "div_", "j, rounding_mode='trunc'"),
    ("i", "pow_", "2"), ("i", "floor_", ""), ("i", "__imod__", "3"), ("i", "__ifloordiv__", "2"),
    ("b", "add_", "True"), ("b", "mul_", "b"), ("b", "sign_", ""),
]


@pytest.mark.parametrize("target, method, args", CALLS, ids=[f"{t}.{m}({a})" for t, m, a in CALLS])
def test_values_dtype_and_version(target, method, args):
    results = []
    for m in (numtorch, torch):
        env = _env(m)
        t = env[target].clone()
        version = t._version
        out = eval(f"t.{method}({args})", {}, dict(env, t=t))  # noqa: S307 - the calls above
        assert out is t
        assert t._version == version + 1
        results.append(t)
    ours, theirs = results
    assert repr(ours.dtype) == repr(theirs.dtype)
    np.testing.assert_allclose(_np(ours), _np(theirs), rtol=1e-13, atol=1e-15, equal_nan=True)


TORCH_FUNCTIONS = ["exp_", "log_", "sqrt_", "abs_", "neg_", "sigmoid_", "relu_", "square_", "tanh_", "erf_",
                   "floor_", "frac_", "round_", "trunc_", "nan_to_num_"]


@pytest.mark.parametrize("name", TORCH_FUNCTIONS)
def test_torch_level_inplace_functions(name):
    results = []
    for m in (numtorch, torch):
        t = m.tensor(F)
        assert getattr(m, name)(t) is t
        results.append(_np(t))
    np.testing.assert_allclose(*results, rtol=1e-13)
    for m in (numtorch, torch):
        t = m.tensor(F)
        assert m.clamp_(t, 0.3, 0.5) is t and m.xlogy_(t, 2.0) is t
        results.append(_np(t))
    np.testing.assert_allclose(results[-2], results[-1], rtol=1e-13)


ERRORS = [
    "i.clone().add_(1.5)", "i.clone().div_(2)", "i.clone().sqrt_()", "i.clone().pow_(0.5)", "i.clone().logit_()",
    "i.clone().addcmul_(f, f)", "i.clone().copysign_(-1)", "b.clone().add_(1)", "b.clone().mul_(2)",
    "b.clone().square_()", "b.clone().neg_()", "b.clone().abs_()", "b.clone().sub_(b)", "f.clone().sub_(b)",
    "f.clone().add_(torch.ones(4, 2, 3))", "h.clone().mul_(f)", "f.clone().pow_(torch.ones(2, 2, 3))",
    "f32.clone().float_power_(2)", "i.clone().fmod_(0)", "i.clone().floor_divide_(0)", "f.clone().add_(torch.ones(4))",
    "f.clone().clamp_()", "i.clone().__itruediv__(2)", "f.clone().lerp_(i, 0.5)",
]


@pytest.mark.parametrize("expr", ERRORS)
def test_errors_match_torch(expr):
    caught = []
    for m in (numtorch, torch):
        with pytest.raises(Exception) as info:
            eval(expr, {}, _env(m))  # noqa: S307
        caught.append(info.value)
    ours, theirs = caught
    assert type(ours).__name__ == type(theirs).__name__, (expr, ours, theirs)
    assert str(ours).split("\n")[0] == str(theirs).split("\n")[0], expr


@pytest.mark.parametrize("call", ["add_(1)", "mul_(2)", "exp_()", "clamp_(0, 1)", "lerp_(o, 0.5)", "__iadd__(o)",
                                  "addcmul_(o, o)", "relu_()", "floor_()"])
def test_leaf_that_requires_grad_cannot_change_in_place(call):
    messages = []
    for m in (numtorch, torch):
        x, o = m.tensor(F, requires_grad=True), m.tensor(G)
        with pytest.raises(RuntimeError) as info:
            eval(f"x.{call}", {}, dict(x=x, o=o))  # noqa: S307
        messages.append(str(info.value))
        assert x._version == 0
        with m.no_grad():                      # allowed without grad mode, and counted
            eval(f"x.{call}", {}, dict(x=x, o=o))  # noqa: S307
        assert x._version == 1 and x.grad_fn is None and x.requires_grad
        messages.append(_np(x))
    assert messages[0] == messages[2]
    np.testing.assert_allclose(messages[1], messages[3], rtol=1e-13)


# Each: fn(m, x, o) builds a non-leaf from x, changes it in place (possibly with o, which requires grad),
# and returns the tensor to differentiate.
GRAPH_CASES = {
    "mul_tensor": lambda m, x, o: (x * 1.5).mul_(o),
    "add_alpha": lambda m, x, o: (x * 1.5).add_(o, alpha=-2),
    "sub_scalar": lambda m, x, o: (x * o).sub_(3),
    "div": lambda m, x, o: (x + 1).div_(o),
    "pow": lambda m, x, o: (x + 1).pow_(o),
    "exp_then_mul": lambda m, x, o: (x * o).exp_().mul(x).log_(),
    "sqrt": lambda m, x, o: (x + o).sqrt_(),
    "sigmoid": lambda m, x, o: (x * o).sigmoid_(),
    "tanh": lambda m, x, o: (x - o).tanh_(),
    "relu": lambda m, x, o: (x - o).relu_(),
    "abs": lambda m, x, o: (x - o).abs_(),
    "clamp_numbers": lambda m, x, o: (x * 2).clamp_(0.5, 1.2),
    "clamp_tensors": lambda m, x, o: (x * 2).clamp_(o, o + 0.5),
    "lerp_scalar": lambda m, x, o: (x * 2).lerp_(o, 0.3),
    "lerp_tensor": lambda m, x, o: (x * 2).lerp_(o, o),
    "addcmul": lambda m, x, o: (x * 2).addcmul_(o, x, value=0.5),
    "addcdiv": lambda m, x, o: (x * 2).addcdiv_(x, o, value=-1.5),
    "atan2": lambda m, x, o: (x * 2).atan2_(o),
    "xlogy": lambda m, x, o: (x * 2).xlogy_(o),
    "square": lambda m, x, o: (x - o).square_(),
    "erfinv": lambda m, x, o: (x * o).erfinv_(),
    "floor_then_add": lambda m, x, o: (x * 5).floor_().add_(x * o),
    "frac": lambda m, x, o: (x * 5).frac_(),
    "round_decimals": lambda m, x, o: (x * 5).round_(decimals=1).mul_(o),
    "iadd_imul": lambda m, x, o: _augmented(x, o),
    "chain_of_six": lambda m, x, o: (x * o).add_(1).mul_(x).sub_(o).div_(2).add_(x).sqrt_(),
    "copysign": lambda m, x, o: (x * 2).copysign_(o - 0.5),
    "nan_to_num": lambda m, x, o: (x * o).log_().nan_to_num_(),
}


def _augmented(x, o):
    y = x * 2
    y += o
    y *= x
    return y


@pytest.mark.parametrize("case", list(GRAPH_CASES), ids=list(GRAPH_CASES))
def test_gradients_through_inplace_ops_on_non_leaves(case):
    fn = GRAPH_CASES[case]
    results = []
    for m in (numtorch, torch):
        x, o = m.tensor(F, requires_grad=True), m.tensor(G, requires_grad=True)
        out = fn(m, x, o)
        w = m.tensor(np.linspace(-1, 1, 6).reshape(2, 3))
        grads = m.autograd.grad((out * w).sum(), [x, o], create_graph=True, allow_unused=True)
        second = [g for g in grads if g is not None and g.requires_grad]
        if second:
            grads += m.autograd.grad(sum((g * g).sum() for g in second), [x, o], allow_unused=True)
        results.append((out, out._version, [g is not None and g.requires_grad for g in grads]) + tuple(grads))
    ours, theirs = results
    assert ours[0].grad_fn.name() == theirs[0].grad_fn.name()
    assert ours[1:3] == theirs[1:3]
    for a, b in zip(ours[3:], theirs[3:]):
        if b is None:
            assert a is None or not np.any(_np(a))
            continue
        np.testing.assert_allclose(_np(a), _np(b), rtol=1e-10, atol=1e-12)


def test_modifying_a_saved_tensor_makes_backward_fail_like_torch():
    messages = []
    for m in (numtorch, torch):
        x = m.tensor(F, requires_grad=True)
        y = x.exp()            # saves its output
        y.add_(1)
        with pytest.raises(RuntimeError) as info:
            y.sum().backward()
        messages.append(str(info.value).split(";")[0])
        a = x * 2
        b = a * a              # saves a
        a.mul_(2)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            b.sum().backward()
    assert messages[0].startswith("one of the variables needed for gradient computation has been modified")
    assert messages[0] == messages[1]


def test_no_grad_updates_like_an_optimizer_step():
    """The fast paths (no graph recorded) give torch's numbers for an Adam-like update, float32 and float64."""
    for dtype in ("float32", "float64"):
        results = []
        for m in (numtorch, torch):
            dt = getattr(m, dtype)
            p, grad = m.tensor(F, dtype=dt, requires_grad=True), m.tensor(G - 0.5, dtype=dt)
            m1, m2 = m.zeros(2, 3, dtype=dt), m.zeros(2, 3, dtype=dt)
            with m.no_grad():
                for step in range(1, 4):
                    m1.lerp_(grad, 0.1)
                    m2.mul_(0.999).addcmul_(grad, grad, value=0.001)
                    denom = (m2.sqrt() / (1 - 0.999 ** step) ** 0.5).add_(1e-8)
                    p.addcdiv_(m1, denom, value=-0.01 / (1 - 0.9 ** step))
                    p.mul_(1 - 1e-3).clamp_(-1, 1).add_(grad, alpha=-0.1).sub_(0.01)
            assert p.requires_grad and p.grad_fn is None and p.dtype is dt
            results.append((_np(p), p._version, m1._version, m2._version))
        np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-6 if dtype == "float32" else 1e-14)
        assert results[0][1:] == results[1][1:]


def test_augmented_assignment_keeps_the_object_and_broadcasts_the_other():
    results = []
    for m in (numtorch, torch):
        x = m.tensor(F)
        ident = id(x)
        x += m.tensor(H)
        x *= 2
        x -= 1
        x /= m.tensor(H)
        x **= 2
        x //= 0.5
        x %= 3
        assert id(x) == ident and x._version == 7
        i = m.tensor([[5, 7], [9, 11]])
        i &= 6
        i |= 1
        i ^= 2
        i <<= 1
        i >>= 1
        results.append((_np(x), i.tolist()))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-13)
    assert results[0][1] == results[1][1]
