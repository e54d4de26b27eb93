"""A table of distributions built the same way in torch and numtorch from NumPy parameters."""
from __future__ import annotations

import numpy as np
import torch

import numtorch as nt

B = (2, 3)   # batch shape used by the table


def _spd(rng, n, batch=()):
    a = rng.normal(size=batch + (n, n))
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


def _tril(rng, n, batch=()):
    m = np.tril(rng.normal(size=batch + (n, n)), -1)
    return m + np.eye(n) * rng.uniform(0.5, 1.5, size=batch + (n, 1))


def _simplex(rng, shape):
    p = rng.uniform(0.1, 1.0, size=shape)
    return p / p.sum(-1, keepdims=True)


# name -> (params(rng) -> dict of arrays, build(D, params) -> distribution, value(rng) -> array)
CASES = {
    "normal": (lambda r: {"loc": r.normal(size=B), "scale": r.uniform(0.5, 2, B)},
               lambda D, p: D.Normal(p["loc"], p["scale"]), lambda r: r.normal(size=B)),
    "normal_bcast": (lambda r: {"loc": r.normal(size=(3,)), "scale": r.uniform(0.5, 2, (2, 1))},
                     lambda D, p: D.Normal(p["loc"], p["scale"]), lambda r: r.normal(size=(4, 2, 3))),
    "laplace": (lambda r: {"loc": r.normal(size=B), "scale": r.uniform(0.5, 2, B)},
                lambda D, p: D.Laplace(p["loc"], p["scale"]), lambda r: r.normal(size=B)),
    "uniform": (lambda r: {"low": r.uniform(-2, -1, B), "high": r.uniform(1, 2, B)},
                lambda D, p: D.Uniform(p["low"], p["high"]), lambda r: r.uniform(-0.9, 0.9, B)),
    "exponential": (lambda r: {"rate": r.uniform(0.5, 2, B)},
                    lambda D, p: D.Exponential(p["rate"]), lambda r: r.uniform(0.1, 3, B)),
    "gamma": (lambda r: {"concentration": r.uniform(0.3, 4, B), "rate": r.uniform(0.5, 2, B)},
              lambda D, p: D.Gamma(p["concentration"], p["rate"]), lambda r: r.uniform(0.1, 3, B)),
    "beta": (lambda r: {"c1": r.uniform(0.3, 4, B), "c0": r.uniform(0.3, 4, B)},
             lambda D, p: D.Beta(p["c1"], p["c0"]), lambda r: r.uniform(0.05, 0.95, B)),
    "dirichlet": (lambda r: {"concentration": r.uniform(0.3, 4, B + (4,))},
                  lambda D, p: D.Dirichlet(p["concentration"]), lambda r: _simplex(r, B + (4,))),
    "lognormal": (lambda r: {"loc": r.normal(size=B), "scale": r.uniform(0.5, 2, B)},
                  lambda D, p: D.LogNormal(p["loc"], p["scale"]), lambda r: r.uniform(0.1, 3, B)),
    "bernoulli_probs": (lambda r: {"probs": r.uniform(0.05, 0.95, B)},
                        lambda D, p: D.Bernoulli(probs=p["probs"]),
                        lambda r: r.integers(0, 2, B).astype(float)),
    "bernoulli_logits": (lambda r: {"logits": r.normal(size=B)},
                         lambda D, p: D.Bernoulli(logits=p["logits"]),
                         lambda r: r.integers(0, 2, B).astype(float)),
    "categorical_probs": (lambda r: {"probs": r.uniform(0.1, 1, B + (5,))},
                          lambda D, p: D.Categorical(probs=p["probs"]), lambda r: r.integers(0, 5, B)),
    "categorical_logits": (lambda r: {"logits": r.normal(size=B + (5,))},
                           lambda D, p: D.Categorical(logits=p["logits"]), lambda r: r.integers(0, 5, (4,) + B)),
    "onehot": (lambda r: {"logits": r.normal(size=B + (5,))},
               lambda D, p: D.OneHotCategorical(logits=p["logits"]),
               lambda r: np.eye(5)[r.integers(0, 5, B)]),
    "mvn_cov": (lambda r: {"loc": r.normal(size=(2, 3)), "cov": _spd(r, 3)},
                lambda D, p: D.MultivariateNormal(p["loc"], covariance_matrix=p["cov"]),
                lambda r: r.normal(size=(4, 2, 3))),
    "mvn_prec": (lambda r: {"loc": r.normal(size=(3,)), "prec": _spd(r, 3, (2,))},
                 lambda D, p: D.MultivariateNormal(p["loc"], precision_matrix=p["prec"]),
                 lambda r: r.normal(size=(2, 3))),
    "mvn_tril": (lambda r: {"loc": r.normal(size=(2, 4)), "tril": _tril(r, 4, (2,))},
                 lambda D, p: D.MultivariateNormal(p["loc"], scale_tril=p["tril"]),
                 lambda r: r.normal(size=(2, 4))),
    "independent_normal": (lambda r: {"loc": r.normal(size=B), "scale": r.uniform(0.5, 2, B)},
                           lambda D, p: D.Independent(D.Normal(p["loc"], p["scale"]), 1),
                           lambda r: r.normal(size=B)),
    "poisson": (lambda r: {"rate": r.uniform(0.5, 20, B)},
                lambda D, p: D.Poisson(p["rate"]), lambda r: r.integers(0, 15, B).astype(float)),
    "binomial_probs": (lambda r: {"probs": r.uniform(0.05, 0.95, B)},
                       lambda D, p: D.Binomial(12, probs=p["probs"]),
                       lambda r: r.integers(0, 13, B).astype(float)),
    "binomial_logits": (lambda r: {"count": r.integers(20, 60, B).astype(float), "logits": r.normal(size=B)},
                        lambda D, p: D.Binomial(p["count"], logits=p["logits"]),
                        lambda r: r.integers(0, 21, B).astype(float)),
    "multinomial": (lambda r: {"probs": r.uniform(0.1, 1, B + (4,))},
                    lambda D, p: D.Multinomial(7, probs=p["probs"]),
                    lambda r: np.stack([r.multinomial(7, [0.1, 0.2, 0.3, 0.4]) for _ in range(6)]
                                       ).reshape(B + (4,)).astype(float)),
    "cauchy": (lambda r: {"loc": r.normal(size=B), "scale": r.uniform(0.5, 2, B)},
               lambda D, p: D.Cauchy(p["loc"], p["scale"]), lambda r: r.normal(size=B)),
    "gumbel": (lambda r: {"loc": r.normal(size=B), "scale": r.uniform(0.5, 2, B)},
               lambda D, p: D.Gumbel(p["loc"], p["scale"]), lambda r: r.normal(size=B)),
    "halfnormal": (lambda r: {"scale": r.uniform(0.5, 2, B)},
                   lambda D, p: D.HalfNormal(p["scale"]), lambda r: r.uniform(0.1, 3, B)),
    "halfcauchy": (lambda r: {"scale": r.uniform(0.5, 2, B)},
                   lambda D, p: D.HalfCauchy(p["scale"]), lambda r: r.uniform(0.1, 3, B)),
    "studentt": (lambda r: {"df": np.array([[0.7, 1.5, 2.5], [3.0, 5.0, 30.0]]), "loc": r.normal(size=B),
                            "scale": r.uniform(0.5, 2, B)},
                 lambda D, p: D.StudentT(p["df"], p["loc"], p["scale"]), lambda r: r.normal(size=B)),
    "chi2": (lambda r: {"df": r.uniform(0.5, 6, B)}, lambda D, p: D.Chi2(p["df"]), lambda r: r.uniform(0.1, 3, B)),
    "geometric_probs": (lambda r: {"probs": r.uniform(0.05, 0.95, B)},
                        lambda D, p: D.Geometric(probs=p["probs"]), lambda r: r.integers(0, 8, B).astype(float)),
    "geometric_logits": (lambda r: {"logits": r.normal(size=B)},
                         lambda D, p: D.Geometric(logits=p["logits"]), lambda r: r.integers(0, 8, B).astype(float)),
    "lowrank": (lambda r: {"loc": r.normal(size=(2, 3)), "W": r.normal(size=(2, 3, 2)), "D": r.uniform(0.5, 2, (3,))},
                lambda D, p: D.LowRankMultivariateNormal(p["loc"], p["W"], p["D"]),
                lambda r: r.normal(size=(4, 2, 3))),
    "mixture_normal": (lambda r: {"logits": r.normal(size=(2, 3)), "loc": r.normal(size=(2, 3)),
                                  "scale": r.uniform(0.5, 2, (2, 3))},
                       lambda D, p: D.MixtureSameFamily(D.Categorical(logits=p["logits"]),
                                                        D.Normal(p["loc"], p["scale"])),
                       lambda r: r.normal(size=(4, 2))),
    "mixture_mvn": (lambda r: {"probs": r.uniform(0.1, 1, (2, 3)), "loc": r.normal(size=(2, 3, 2))},
                    lambda D, p: D.MixtureSameFamily(D.Categorical(probs=p["probs"]),
                                                     D.Independent(D.Normal(p["loc"], 1.5), 1)),
                    lambda r: r.normal(size=(2, 2))),
}

# parameters that are not differentiable (discrete structure) are none here; integer values are.
INTEGER_VALUES = {"categorical_probs", "categorical_logits"}


def build(name, dtype, requires_grad=True, seed=0):
    """The same distribution in torch and numtorch, with leaf parameter tensors of `dtype`."""
    params_fn, build_fn, value_fn = CASES[name]
    rng = np.random.default_rng(seed)
    p = params_fn(rng)
    value = value_fn(rng)
    tp = {k: torch.tensor(v, dtype=getattr(torch, dtype), requires_grad=requires_grad) for k, v in p.items()}
    np_ = {k: nt.tensor(v, dtype=getattr(nt, dtype), requires_grad=requires_grad) for k, v in p.items()}
    vdt = "int64" if name in INTEGER_VALUES else dtype
    tv = torch.tensor(value, dtype=getattr(torch, vdt))
    nv = nt.tensor(value, dtype=getattr(nt, vdt))
    return (build_fn(torch.distributions, tp), tp, tv), (build_fn(nt.distributions, np_), np_, nv)
