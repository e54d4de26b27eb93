"""The optimizer registry and create_optimizer's decay / no-decay groups."""
import numpy as np
import pytest

import numtorch
from numtorch.optim.contrib import create_optimizer, get_optimizer, list_optimizers, register_optimizer

TORCH_OPTIMIZERS = ["ASGD", "Adadelta", "Adafactor", "Adagrad", "Adam", "Adamax", "AdamW", "LBFGS", "Muon", "NAdam",
                    "RAdam", "RMSprop", "Rprop", "SGD", "SparseAdam"]
CONTRIB = ["ADOPT", "AdEMAMix", "AdaBelief", "Adan", "LARS", "Lamb", "Lion", "Lookahead", "Prodigy", "SAM", "SOAP",
           "ScheduleFreeAdamW", "ScheduleFreeSGD", "SophiaH"]


class Net(numtorch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.ln, self.fc2 = numtorch.nn.Linear(3, 4), numtorch.nn.LayerNorm(4), numtorch.nn.Linear(4, 2)
        self.norm_proj = numtorch.nn.Parameter(numtorch.eye(2) + 0.5)  # 2-D, but "norm" in its name exempts it
        self.fc2.weight.requires_grad_(False)  # frozen: left out

    def forward(self, x):
        return self.fc2(self.ln(self.fc1(x))) @ self.norm_proj


def model():
    numtorch.manual_seed(0)
    return Net()


def group_names(opt):
    return [group["param_names"] for group in opt.param_groups]


def test_every_optimizer_is_registered_by_name():
    assert set(list_optimizers()) == {name.lower() for name in TORCH_OPTIMIZERS + CONTRIB}
    for name in TORCH_OPTIMIZERS:
        assert get_optimizer(name) is getattr(numtorch.optim, name)
        assert get_optimizer(name.upper()) is get_optimizer(name.lower())
    for name in CONTRIB:
        assert get_optimizer(name) is getattr(numtorch.optim.contrib, name)
    assert get_optimizer("schedule_free_adamw") is numtorch.optim.contrib.ScheduleFreeAdamW
    assert get_optimizer(numtorch.optim.SGD) is numtorch.optim.SGD


def test_unknown_name_lists_the_available_ones():
    with pytest.raises(KeyError, match="unknown optimizer 'adamw2'; available: adabelief, adadelta, .*sophiah"):
        get_optimizer("adamw2")


def test_decay_and_no_decay_groups():
    opt = create_optimizer(model(), "AdamW", lr=0.01, weight_decay=0.1)
    assert type(opt) is numtorch.optim.AdamW
    assert group_names(opt) == [["fc1.weight"], ["norm_proj", "fc1.bias", "ln.weight", "ln.bias", "fc2.bias"]]
    assert [g["weight_decay"] for g in opt.param_groups] == [0.1, 0.0]
    assert all(g["lr"] == 0.01 for g in opt.param_groups)


def test_no_decay_substrings_and_1d_rule():
    named = dict(model().named_parameters())
    opt = create_optimizer(named, "sgd", lr=0.1, weight_decay=0.1, no_decay=(), exclude_1d=False, momentum=0.9)
    assert len(opt.param_groups) == 1 and opt.param_groups[0]["momentum"] == 0.9
    assert len(group_names(opt)[0]) == 7  # the frozen weight is in a dict the caller built
    opt = create_optimizer(list(named.items()), "lion", lr=1e-4, weight_decay=1.0, no_decay=("BIAS",),
                           exclude_1d=False)
    assert group_names(opt)[1] == ["fc1.bias", "ln.bias", "fc2.bias"]


def test_zero_weight_decay_is_one_group_and_overrides_the_default():
    opt = create_optimizer(model(), "AdamW", lr=0.01)
    assert len(opt.param_groups) == 1 and opt.param_groups[0]["weight_decay"] == 0.0


def test_optimizers_without_weight_decay():
    assert type(create_optimizer(model(), "lbfgs", lr=1.0)) is numtorch.optim.LBFGS
    with pytest.raises(ValueError, match="LBFGS has no weight_decay option"):
        create_optimizer(model(), "lbfgs", lr=1.0, weight_decay=0.1)


def test_wrappers():
    opt = create_optimizer(model(), "lookahead_adamw", lr=0.01, weight_decay=0.1, k=3)
    assert type(opt) is numtorch.optim.contrib.Lookahead and type(opt.optimizer) is numtorch.optim.AdamW
    assert opt.param_groups[0]["lookahead_k"] == 3 and [g["weight_decay"] for g in opt.param_groups] == [0.1, 0.0]
    opt = create_optimizer(model(), "Lookahead", lr=0.01, base_optimizer=numtorch.optim.contrib.Lion)
    assert type(opt.optimizer) is numtorch.optim.contrib.Lion
    opt = create_optimizer(model(), "sam", lr=0.1, weight_decay=0.1, base_optimizer="sgd", rho=0.1, momentum=0.9)
    assert type(opt.base_optimizer) is numtorch.optim.SGD
    assert [(g["rho"], g["momentum"], g["weight_decay"]) for g in opt.param_groups] == [(0.1, 0.9, 0.1),
                                                                                      (0.1, 0.9, 0.0)]
    with pytest.raises(TypeError, match="base_optimizer="):
        create_optimizer(model(), "sam", lr=0.1)


@pytest.mark.parametrize("name", [n for n in TORCH_OPTIMIZERS + CONTRIB if n not in ("Lookahead", "SAM", "Muon",
                                                                                     "LBFGS", "SparseAdam")])
def test_every_optimizer_builds_and_steps(name):
    net = model()
    opt = create_optimizer(net, name, lr=1e-3, weight_decay=0.01 if name not in ("Rprop",) else 0.0)
    before = [p.detach().clone() for p in net.parameters()]
    for _ in range(2):  # ADOPT and SOAP only gather statistics on their first step
        opt.zero_grad()
        loss = (net(numtorch.tensor(np.linspace(-1, 1, 6).reshape(2, 3), dtype=numtorch.float32)) ** 2).sum()
        loss.backward(create_graph=name == "SophiaH")
        opt.step()
    assert any(not numtorch.equal(p, b) for p, b in zip(net.parameters(), before) if p.requires_grad)


def test_register_optimizer():
    class Mine(numtorch.optim.SGD):
        pass
    register_optimizer(Mine, "my-sgd")
    try:
        assert type(create_optimizer(model(), "MY_SGD", lr=0.1)) is Mine
    finally:
        from numtorch.optim.contrib import registry
        del registry._REGISTRY["mysgd"]
    with pytest.raises(TypeError, match="Optimizer subclass"):
        register_optimizer(len)


def test_bad_parameters():
    with pytest.raises(TypeError, match="named parameters"):
        create_optimizer(list(model().parameters()), "sgd", lr=0.1)
    with pytest.raises(ValueError, match="empty parameter list"):
        create_optimizer([], "sgd", lr=0.1)
