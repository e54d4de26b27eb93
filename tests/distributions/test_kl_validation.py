"""kl_divergence against torch (values, gradients, dispatch) and argument validation messages."""
import numpy as np
import pytest
import torch

import numtorch as nt

from ._cases import build

# KL pairs torch registers: each uses two draws (seeds 0 and 1) of table entries
SAME = ["normal", "normal_bcast", "laplace", "uniform", "exponential", "gamma", "beta", "dirichlet",
        "lognormal", "bernoulli_probs", "bernoulli_logits", "categorical_probs", "categorical_logits",
        "onehot", "mvn_cov", "mvn_prec", "mvn_tril", "independent_normal", "poisson", "binomial_probs",
        "cauchy", "gumbel", "halfnormal", "geometric_probs", "geometric_logits", "lowrank"]
CROSS = [("normal", "gumbel"), ("gumbel", "normal"), ("exponential", "gumbel"), ("gamma", "gumbel"),
         ("uniform", "gumbel"), ("bernoulli_probs", "poisson"), ("gumbel", "beta"), ("gumbel", "uniform"),
         ("poisson", "binomial_probs"), ("poisson", "bernoulli_logits"), ("mvn_cov", "lowrank"),
         ("lowrank", "mvn_cov")]
TRIGAMMA = ("gamma", "beta", "dirichlet")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("p_name, q_name", [(n, n) for n in SAME] + CROSS)
def test_kl(p_name, q_name, dtype):
    (tp_d, tp, _), (np_d, npp, _) = build(p_name, dtype, seed=0)
    (tq_d, tq, _), (nq_d, nqp, _) = build(q_name, dtype, seed=1)
    t = torch.distributions.kl_divergence(tp_d, tq_d)
    n = nt.distributions.kl_divergence(np_d, nq_d)
    tol = dict(rtol=1e-10, atol=1e-10) if dtype == "float64" else dict(rtol=3e-5, atol=3e-5)
    assert tuple(n.shape) == tuple(t.shape)
    np.testing.assert_allclose(n.detach().numpy(), t.detach().numpy(), **tol)
    assert str(n.dtype) == str(t.dtype)
    if not t.requires_grad:         # infinite: no graph in either library
        assert n.grad_fn is None
        return
    t.sum().backward()
    n.sum().backward()
    if dtype == "float64" and (p_name in TRIGAMMA or q_name in TRIGAMMA):
        tol = dict(rtol=1e-8, atol=1e-8)     # trigamma: numtorch's and torch's differ by ~5e-10
    for tparams, nparams in ((tp, npp), (tq, nqp)):
        for k in tparams:
            if tparams[k].grad is None:
                assert nparams[k].grad is None or not nparams[k].grad.numpy().any(), k
            else:
                np.testing.assert_allclose(nparams[k].grad.numpy(), tparams[k].grad.numpy(), **tol, err_msg=k)


def test_kl_infinite_cases():
    D, T = nt.distributions, torch.distributions
    args = ([0.0, 0.3, 1.0], [0.0, 0.5, 1.0])
    t = T.kl_divergence(T.Bernoulli(torch.tensor(args[0])), T.Bernoulli(torch.tensor(args[1][::-1])))
    n = D.kl_divergence(D.Bernoulli(nt.tensor(args[0])), D.Bernoulli(nt.tensor(args[1][::-1])))
    np.testing.assert_array_equal(n.numpy(), t.numpy())
    t = T.kl_divergence(T.Uniform(torch.tensor([0.0, -1.0]), torch.tensor([1.0, 1.0])),
                        T.Uniform(torch.tensor([0.5, -2.0]), torch.tensor([2.0, 2.0])))
    n = D.kl_divergence(D.Uniform(nt.tensor([0.0, -1.0]), nt.tensor([1.0, 1.0])),
                        D.Uniform(nt.tensor([0.5, -2.0]), nt.tensor([2.0, 2.0])))
    np.testing.assert_array_equal(n.numpy(), t.numpy())
    t = T.kl_divergence(T.Binomial(torch.tensor([5.0, 3.0]), torch.tensor([0.3, 0.6])),
                        T.Binomial(torch.tensor([5.0, 2.0]), torch.tensor([0.4, 0.5])))
    n = D.kl_divergence(D.Binomial(nt.tensor([5.0, 3.0]), nt.tensor([0.3, 0.6])),
                        D.Binomial(nt.tensor([5.0, 2.0]), nt.tensor([0.4, 0.5])))
    np.testing.assert_allclose(n.numpy(), t.numpy(), rtol=1e-6)
    with pytest.raises(NotImplementedError, match="q.total_count > p.total_count"):
        D.kl_divergence(D.Binomial(2, nt.tensor([0.3])), D.Binomial(3, nt.tensor([0.3])))
    p = [[0.5, 0.5, 0.0], [0.2, 0.3, 0.5]]
    q = [[0.5, 0.0, 0.5], [0.2, 0.3, 0.5]]
    t = T.kl_divergence(T.Categorical(torch.tensor(p)), T.Categorical(torch.tensor(q)))
    n = D.kl_divergence(D.Categorical(nt.tensor(p)), D.Categorical(nt.tensor(q)))
    np.testing.assert_array_equal(n.numpy(), t.numpy())


def test_kl_dispatch():
    D = nt.distributions
    with pytest.raises(NotImplementedError, match="No KL\\(p \\|\\| q\\) is implemented for p type Normal "
                                                  "and q type Laplace"):
        D.kl_divergence(D.Normal(0.0, 1.0), D.Laplace(0.0, 1.0))

    class MyNormal(D.Normal):
        pass

    @D.register_kl(MyNormal, D.Normal)
    def _kl(p, q):
        return nt.tensor(42.0)

    assert D.kl_divergence(MyNormal(0.0, 1.0), D.Normal(0.0, 1.0)).item() == 42.0
    assert D.kl_divergence(D.Normal(0.0, 1.0), D.Normal(0.0, 1.0)).item() == 0.0
    with pytest.raises(TypeError):
        D.register_kl(int, D.Normal)


def _message(lib, fn):
    with pytest.raises(ValueError) as e:
        fn(lib)
    return str(e.value).replace("torch.", "").replace("numtorch.", "")


@pytest.mark.parametrize("fn", [
    lambda L: L.distributions.Normal(L.tensor([0.0, 1.0]), L.tensor([1.0, -1.0])),
    lambda L: L.distributions.Normal(L.tensor([0.0, 1.0]), L.tensor([1.0, 2.0])).log_prob(L.zeros(3)),
    lambda L: L.distributions.Categorical(L.tensor([0.2, 0.8])).log_prob(L.tensor(2)),
    lambda L: L.distributions.Categorical(probs=L.tensor([0.2, 0.8]), logits=L.tensor([0.0, 1.0])),
    lambda L: L.distributions.Categorical(L.tensor(0.2)),
    lambda L: L.distributions.Bernoulli(L.tensor([0.2, 1.5])),
    lambda L: L.distributions.Bernoulli(L.tensor([0.2, 0.5])).log_prob(L.tensor([0.0, 0.5])),
    lambda L: L.distributions.Uniform(L.tensor([0.0, 2.0]), L.tensor([1.0, 1.0])),
    lambda L: L.distributions.Uniform(0.0, 1.0).log_prob(L.tensor(2.0)),
    lambda L: L.distributions.Gamma(L.tensor([1.0]), L.tensor([0.0])),
    lambda L: L.distributions.Exponential(L.tensor([1.0])).log_prob(L.tensor([-1.0])),
    lambda L: L.distributions.MultivariateNormal(L.zeros(2), L.tensor([[1.0, 2.0], [2.0, 1.0]])),
    lambda L: L.distributions.MultivariateNormal(L.zeros(2), scale_tril=L.tensor([[1.0, 1.0], [0.0, 1.0]])),
    lambda L: L.distributions.MultivariateNormal(L.zeros(2)),
    lambda L: L.distributions.MultivariateNormal(L.zeros(2), L.eye(2)).log_prob(L.zeros(3)),
    lambda L: L.distributions.Dirichlet(L.tensor([1.0, -1.0])),
    lambda L: L.distributions.Beta(L.tensor([0.5]), L.tensor([0.5])).log_prob(L.tensor([1.5])),
    lambda L: L.distributions.Independent(L.distributions.Normal(0.0, 1.0), 1),
    lambda L: L.distributions.OneHotCategorical(L.tensor([0.2, 0.8])).log_prob(L.tensor([1.0, 1.0])),
    lambda L: L.distributions.Distribution.set_default_validate_args(3),
    lambda L: L.distributions.Poisson(L.tensor([1.0, -1.0])),
    lambda L: L.distributions.Poisson(L.tensor([1.0])).log_prob(L.tensor([0.5])),
    lambda L: L.distributions.Binomial(L.tensor([3.0, 2.5]), L.tensor([0.2, 0.3])),
    lambda L: L.distributions.Binomial(3, L.tensor([0.2, 0.3])).log_prob(L.tensor([4.0, 1.0])),
    lambda L: L.distributions.Binomial(3),
    lambda L: L.distributions.Geometric(L.tensor([0.2, 0.0])),
    lambda L: L.distributions.Multinomial(3, L.tensor([0.2, 0.8])).log_prob(L.tensor([4.0, 0.0])),
    lambda L: L.distributions.Cauchy(L.tensor([0.0]), L.tensor([-1.0])),
    lambda L: L.distributions.HalfNormal(L.tensor([1.0])).log_prob(L.tensor([-1.0])),
    lambda L: L.distributions.StudentT(L.tensor([-1.0])),
    lambda L: L.distributions.LowRankMultivariateNormal(L.zeros(2), L.zeros(3, 1), L.ones(2)),
    lambda L: L.distributions.MixtureSameFamily(L.distributions.Categorical(L.ones(3)),
                                                L.distributions.Normal(L.zeros(2), 1.0)),
])
def test_validation_messages(fn):
    assert _message(nt, fn) == _message(torch, fn)


def test_validate_args_switch():
    D = nt.distributions
    try:
        D.Distribution.set_default_validate_args(False)
        d = D.Normal(nt.tensor([0.0]), nt.tensor([-1.0]))       # accepted unchecked, as in torch
        assert d.scale.item() == -1.0
    finally:
        D.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError):
        D.Normal(nt.tensor([0.0]), nt.tensor([-1.0]))
    D.Normal(nt.tensor([0.0]), nt.tensor([-1.0]), validate_args=False)


def test_constraints_reprs_and_checks():
    C, TC = nt.distributions.constraints, torch.distributions.constraints
    for name in ["real", "positive", "nonnegative", "unit_interval", "simplex", "real_vector", "boolean",
                 "lower_cholesky", "positive_definite", "one_hot", "nonnegative_integer"]:
        assert repr(getattr(C, name)) == repr(getattr(TC, name))
        assert getattr(C, name).event_dim == getattr(TC, name).event_dim
    assert repr(C.interval(0.0, 2.0)) == repr(TC.interval(0.0, 2.0))
    assert repr(C.independent(C.positive, 2)) == repr(TC.independent(TC.positive, 2))
    x = np.array([[0.2, 0.8], [0.5, 0.6]])
    assert C.simplex.check(nt.tensor(x)).tolist() == TC.simplex.check(torch.tensor(x)).tolist()
    assert C.is_dependent(nt.distributions.Uniform.support)
    assert nt.distributions.Categorical(nt.tensor([0.5, 0.5])).support.upper_bound == 1
