"""Deliberately broken optimizers, one per pitfall of writing a custom optimizer.

Each is SGD with momentum, weight decay and maximize written the way PyTorch's
tutorials teach (`Momentum`, which is correct), with one mistake. `EXPECTED`
maps each broken class to the {property: failure code} that check_optimizer
must report for it, and nothing else.
"""
from __future__ import annotations

import threading
from collections import defaultdict

import numpy as np

import numtorch as torch
from numtorch.optim import Optimizer


def closure_loss(closure):
    """What every step does first: evaluate the closure with grad enabled."""
    if closure is None:
        return None
    with torch.enable_grad():
        return closure()


class Momentum(Optimizer):
    """Correct: heavy-ball momentum, L2 weight decay, maximize; state created lazily per param."""

    def __init__(self, params, lr=0.1, momentum=0.9, weight_decay=0.0, maximize=False):
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay, maximize=maximize))

    @torch.no_grad()
    def step(self, closure=None):
        loss = closure_loss(closure)
        self.update_all()
        return loss

    def update_all(self):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    self.update(p, group)

    def update(self, p, group):
        p.add_(self.momentum_buffer(p, group, self.direction(p, group)), alpha=-group["lr"])

    def direction(self, p, group):
        """The gradient with maximize and weight decay applied, as a new tensor."""
        d = -p.grad if group["maximize"] else p.grad
        if group["weight_decay"]:
            d = d.add(p, alpha=group["weight_decay"])
        return d

    def momentum_buffer(self, p, group, d):
        state = self.state[p]
        if "momentum_buffer" not in state:
            state["momentum_buffer"] = d.clone()
        else:
            state["momentum_buffer"].mul_(group["momentum"]).add_(d)
        return state["momentum_buffer"]


class ModifiesGrad(Momentum):
    """Applies maximize and weight decay to p.grad in place."""

    def direction(self, p, group):
        d = p.grad
        if group["maximize"]:
            d.neg_()
        if group["weight_decay"]:
            d.add_(p, alpha=group["weight_decay"])
        return d


class StoresGrad(Momentum):
    """Keeps the gradient itself as the momentum buffer: it changes when grads accumulate."""

    def momentum_buffer(self, p, group, d):
        state = self.state[p]
        if "momentum_buffer" not in state:
            state["momentum_buffer"] = d   # no .clone()
            return d
        return state["momentum_buffer"].mul_(group["momentum"]).add_(d)


class ForgetsNoGrad(Momentum):
    """No @torch.no_grad() on step: autograd refuses the in-place update of a param that requires grad."""

    def step(self, closure=None):
        loss = closure_loss(closure)
        self.update_all()
        return loss


class UpdatesWithGrad(ForgetsNoGrad):
    """No @torch.no_grad(), the crash avoided with p.data: weight decay records a graph the momentum buffer keeps."""

    def update(self, p, group):
        p.data.add_(self.momentum_buffer(p, group, self.direction(p, group)).detach(), alpha=-group["lr"])


class LeaksGradMode(Momentum):
    """Turns grad mode off for the update and never turns it back on."""

    def step(self, closure=None):
        loss = closure_loss(closure)
        torch.set_grad_enabled(False)
        self.update_all()
        return loss


class ReplacesStorage(Momentum):
    """p.data = p - lr * buf: a new storage every step."""

    def update(self, p, group):
        p.data = p - group["lr"] * self.momentum_buffer(p, group, self.direction(p, group))


class ReplacesParams(Momentum):
    """Puts new tensors into param_groups instead of updating the params."""

    def update_all(self):
        for group in self.param_groups:
            for i, p in enumerate(group["params"]):
                if p.grad is not None:
                    new = p - group["lr"] * self.momentum_buffer(p, group, self.direction(p, group))
                    group["params"][i] = new.requires_grad_()


class EagerState(Momentum):
    """Creates every param's momentum buffer in __init__."""

    def __init__(self, params, **kwargs):
        super().__init__(params, **kwargs)
        for group in self.param_groups:
            for p in group["params"]:
                self.state[p]["momentum_buffer"] = torch.zeros_like(p)

    def momentum_buffer(self, p, group, d):
        state = self.state[p]
        if "momentum_buffer" not in state:
            state["momentum_buffer"] = torch.zeros_like(p)
        return state["momentum_buffer"].mul_(group["momentum"]).add_(d)


class StateForNoneGrad(Momentum):
    """Initializes state before checking whether the param has a gradient."""

    def update_all(self):
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state[p]
                if not state:
                    state["momentum_buffer"] = torch.zeros_like(p)
                if p.grad is not None:
                    buf = state["momentum_buffer"].mul_(group["momentum"]).add_(self.direction(p, group))
                    p.add_(buf, alpha=-group["lr"])


class MovesNoneGradParams(Momentum):
    """Applies (decoupled) weight decay to every param, including those without a gradient."""

    def update_all(self):
        for group in self.param_groups:
            for p in group["params"]:
                if group["weight_decay"]:
                    p.mul_(1 - group["lr"] * group["weight_decay"])
                if p.grad is not None:
                    self.update(p, {**group, "weight_decay": 0})


class CachesLr(Momentum):
    """Reads self.lr, set once in __init__."""

    def __init__(self, params, lr=0.1, **kwargs):
        super().__init__(params, lr=lr, **kwargs)
        self.lr = lr

    def update(self, p, group):
        super().update(p, {**group, "lr": self.lr})


class IgnoresGroupOptions(Momentum):
    """Reads weight_decay from self.defaults rather than from the param's group."""

    def direction(self, p, group):
        return super().direction(p, {**group, "weight_decay": self.defaults["weight_decay"]})


class IgnoresMaximize(Momentum):
    """Accepts maximize and never reads it."""

    def direction(self, p, group):
        return super().direction(p, {**group, "maximize": False})


class MomentumOnSelf(Momentum):
    """Keeps the momentum buffers in a dict attribute, which state_dict does not see."""

    def __init__(self, params, **kwargs):
        super().__init__(params, **kwargs)
        self.buffers = {}

    def momentum_buffer(self, p, group, d):
        if p not in self.buffers:
            self.buffers[p] = d.clone()
        else:
            self.buffers[p].mul_(group["momentum"]).add_(d)
        return self.buffers[p]


class StepCountOnSelf(Momentum):
    """Bias-corrects the momentum with one step counter for the whole optimizer, kept on self."""

    def __init__(self, params, **kwargs):
        super().__init__(params, **kwargs)
        self.t = 0

    def update_all(self):
        self.t += 1
        super().update_all()

    def update(self, p, group):
        correction = (1 - group["momentum"]) / (1 - group["momentum"] ** self.t)
        super().update(p, {**group, "lr": group["lr"] * correction})


class KeysStateById(Momentum):
    """Keys state by id(p)."""

    def momentum_buffer(self, p, group, d):
        state = self.state[id(p)]
        if "momentum_buffer" not in state:
            state["momentum_buffer"] = d.clone()
        else:
            state["momentum_buffer"].mul_(group["momentum"]).add_(d)
        return state["momentum_buffer"]


class ParamsFromInit(Momentum):
    """Iterates over the param groups captured in __init__, so groups added later are never stepped."""

    def __init__(self, params, **kwargs):
        super().__init__(params, **kwargs)
        self.groups = list(self.param_groups)

    def update_all(self):
        for group in self.groups:
            for p in group["params"]:
                if p.grad is not None:
                    self.update(p, group)


class AliasesOnLoad(Momentum):
    """A hand-written load_state_dict that adopts the source's state objects instead of copying them."""

    def load_state_dict(self, state_dict):
        params = [p for g in self.param_groups for p in g["params"]]
        ids = [i for g in state_dict["param_groups"] for i in g["params"]]
        lookup = dict(zip(ids, params))
        for group, saved in zip(self.param_groups, state_dict["param_groups"]):
            group.update({k: v for k, v in saved.items() if k != "params"})
        self.state = defaultdict(dict, {lookup[i]: s for i, s in state_dict["state"].items()})


class Nondeterministic(Momentum):
    """Adds gradient noise from NumPy's global generator, which torch.manual_seed does not seed."""

    def direction(self, p, group):
        d = super().direction(p, group)
        return d + torch.tensor(1e-3 * np.random.standard_normal(tuple(p.shape)), dtype=p.dtype)


class CrashesOnZeroSize(Momentum):
    """Normalizes the update by its largest entry, which an empty tensor does not have."""

    def direction(self, p, group):
        d = super().direction(p, group)
        return d / d.abs().max().clamp(min=1.0)


class IgnoresClosure(Momentum):
    """step(closure) never calls the closure."""

    @torch.no_grad()
    def step(self, closure=None):
        self.update_all()


class ClosureUnderNoGrad(Momentum):
    """Calls the closure inside the no_grad step body."""

    @torch.no_grad()
    def step(self, closure=None):
        loss = closure() if closure is not None else None
        self.update_all()
        return loss


class UncopyableLock(Momentum):
    """Holds a threading.Lock and, to keep its attributes in copies, pickles its whole __dict__."""

    def __init__(self, params, **kwargs):
        super().__init__(params, **kwargs)
        self._lock = threading.Lock()

    def __getstate__(self):
        return dict(self.__dict__)


# Attributes set in __init__ are also lost by copy.deepcopy and pickle (Optimizer.__getstate__, torch's too,
# keeps only defaults, state and param_groups), so optimizers keeping things on self fail "deepcopy" as well.
_LOST = {"deepcopy": "deepcopy.lost_attributes"}

EXPECTED = {
    ModifiesGrad: {"grad_untouched": "grad_untouched.modified"},
    StoresGrad: {"grad_not_stored": "grad_not_stored.aliased"},
    ForgetsNoGrad: {"runs": "runs.grad_mode"},
    UpdatesWithGrad: {"no_grad": "no_grad.state_graph"},
    LeaksGradMode: {"no_grad": "no_grad.mode_leak"},
    ReplacesStorage: {"in_place": "in_place.storage"},
    ReplacesParams: {"in_place": "in_place.new_objects"},
    EagerState: {"lazy_state": "lazy_state.eager"},
    StateForNoneGrad: {"none_grad": "none_grad.state"},
    MovesNoneGradParams: {"none_grad": "none_grad.moved"},
    CachesLr: {"lr_used": "lr_used.ignored", **_LOST},
    IgnoresGroupOptions: {"param_groups": "param_groups.mixed"},
    IgnoresMaximize: {"maximize": "maximize.ignored"},
    MomentumOnSelf: {"state_dict_round_trip": "state_dict_round_trip.diverged", **_LOST},
    StepCountOnSelf: {"add_param_group": "add_param_group.differs",
                      "state_dict_round_trip": "state_dict_round_trip.diverged", **_LOST},
    KeysStateById: {"lazy_state": "lazy_state.keys"},
    ParamsFromInit: {"add_param_group": "add_param_group.not_updated", **_LOST},
    AliasesOnLoad: {"state_dict_save": "state_dict_save.load_alias"},
    Nondeterministic: {"deterministic": "deterministic.differs"},
    CrashesOnZeroSize: {"zero_size": "zero_size.raised"},
    IgnoresClosure: {"closure": "closure.not_called"},
    ClosureUnderNoGrad: {"closure": "closure.no_grad"},
    UncopyableLock: {"deepcopy": "deepcopy.raised"},
}
