"""torch.optim.swa_utils: weight averaging (SWA, EMA) of a model along its training trajectory.

AveragedModel keeps a deep copy of a model whose parameters are a running
average of the model's; SWALR anneals the lr to a constant for the averaging
phase; update_bn recomputes BatchNorm statistics for the averaged weights.
The averaging rules reproduce torch's arithmetic on CPU: the per-tensor
`avg_fn`s divide by the count, the `multi_avg_fn`s lerp (with torch's
float32 weight 1 / (n + 1) for SWA).
"""
from __future__ import annotations

import itertools
from copy import deepcopy

from .._dtype import long
from .._ops.creation import tensor
from .._tensor import Tensor
from ..autograd.grad_mode import no_grad
from ..nn.modules.module import Module
from . import schedules
from .lr_scheduler import LRScheduler, _format_param, _warn_get_lr_called_within_step

__all__ = ["AveragedModel", "update_bn", "SWALR", "get_ema_multi_avg_fn", "get_swa_multi_avg_fn", "get_ema_avg_fn",
           "get_swa_avg_fn"]


def _check_decay(decay) -> None:
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in [0,1] range.")


def _lerps(tensors) -> bool:
    """torch's lerp (so its multi-tensor averaging) only takes floating and complex tensors."""
    return tensors[0].is_floating_point() or tensors[0].is_complex()


def get_ema_multi_avg_fn(decay=0.999):
    """An in-place EMA over lists of tensors: ema <- decay * ema + (1 - decay) * current."""
    _check_decay(decay)

    @no_grad()
    def ema_update(ema_param_list, current_param_list, _) -> None:
        if _lerps(ema_param_list):
            for p_ema, p_model in zip(ema_param_list, current_param_list):
                p_ema.lerp_(p_model, 1 - decay)
        else:
            for p_ema, p_model in zip(ema_param_list, current_param_list, strict=True):
                p_ema.copy_(p_ema * decay + p_model * (1 - decay))

    return ema_update


def get_swa_multi_avg_fn():
    """An in-place equal-weight running mean over lists of tensors, given how many were averaged so far."""

    @no_grad()
    def swa_update(averaged_param_list, current_param_list, num_averaged) -> None:
        if _lerps(averaged_param_list):
            weight = 1 / (num_averaged + 1)
            for p_avg, p_model in zip(averaged_param_list, current_param_list):
                p_avg.lerp_(p_model, weight)
            return
        for p_avg, p_model in zip(averaged_param_list, current_param_list):
            diff = p_model - p_avg
            if isinstance(num_averaged, Tensor):
                p_avg.addcdiv_(diff, num_averaged + 1)
            else:
                p_avg.add_(diff, alpha=1.0 / (num_averaged + 1))

    return swa_update


def get_ema_avg_fn(decay=0.999):
    """EMA of one tensor: returns decay * ema + (1 - decay) * current."""
    _check_decay(decay)

    @no_grad()
    def ema_update(ema_param, current_param, num_averaged):
        return decay * ema_param + (1 - decay) * current_param

    return ema_update


def get_swa_avg_fn():
    """Equal-weight running mean of one tensor: returns the mean including `current_param`."""

    @no_grad()
    def swa_update(averaged_param, current_param, num_averaged):
        return averaged_param + (current_param - averaged_param) / (num_averaged + 1)

    return swa_update


class AveragedModel(Module):
    """A deep copy of `model` whose parameters (and, with use_buffers, buffers) are averaged across updates.

    Args:
        model: the model to average.
        device: where the copy lives, if not where the model is.
        avg_fn: avg_fn(averaged, current, n_averaged) -> new averaged, per tensor.
        multi_avg_fn: multi_avg_fn(averaged_list, current_list, n_averaged),
            in place over the tensors of one device and dtype at a time.
            Without either, an equal-weight average (SWA).
        use_buffers: average the buffers too; otherwise they are copied from
            the model at each update.

    The first `update_parameters` copies the model; `n_averaged` (a buffer,
    so in the state_dict) counts the updates.
    """

    def __init__(self, model: Module, device=None, avg_fn=None, multi_avg_fn=None, use_buffers=False) -> None:
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", tensor(0, dtype=long, device=device))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def _averaged_tensors(self, model: Module):
        if self.use_buffers:
            return (itertools.chain(self.module.parameters(), self.module.buffers()),
                    itertools.chain(model.parameters(), model.buffers()))
        return self.parameters(), model.parameters()

    def update_parameters(self, model: Module) -> None:
        """Fold `model`'s current parameters into the average."""
        mine, theirs = self._averaged_tensors(model)
        averaged, current = [], []
        first = bool(self.n_averaged == 0)
        for p_avg, p_model in zip(mine, theirs):
            p_model = p_model.detach().to(p_avg.device)
            averaged.append(p_avg.detach())
            current.append(p_model)
            if first:
                p_avg.detach().copy_(p_model)
        if self.n_averaged > 0:
            if self.multi_avg_fn is not None or self.avg_fn is None:
                self._average_grouped(averaged, current)
            else:
                for p_avg, p_model in zip(averaged, current, strict=True):
                    p_avg.copy_(self.avg_fn(p_avg, p_model, self.n_averaged.to(p_avg.device)))
        if not self.use_buffers:  # the buffers follow the model instead
            for b_avg, b_model in zip(self.module.buffers(), model.buffers(), strict=True):
                b_avg.detach().copy_(b_model.detach().to(b_avg.device))
        self.n_averaged += 1

    def _average_grouped(self, averaged, current) -> None:
        """multi_avg_fn once per (device, dtype) group; the default SWA per tensor (torch's CPU path)."""
        groups: dict = {}
        for p_avg, p_model in zip(averaged, current):
            pair = groups.setdefault((str(p_avg.device), p_avg.dtype), ([], []))
            pair[0].append(p_avg)
            pair[1].append(p_model)
        for (device, _), (avg_list, model_list) in groups.items():
            n_averaged = self.n_averaged.to(device)
            if self.multi_avg_fn:
                self.multi_avg_fn(avg_list, model_list, n_averaged)
                continue
            swa = get_swa_avg_fn()
            for p_avg, p_model in zip(avg_list, model_list, strict=True):
                p_avg.copy_(swa(p_avg, p_model, n_averaged))


def _batchnorm_base():
    """nn's _BatchNorm, or None while numtorch has no BatchNorm (then no model can contain one)."""
    try:
        from ..nn.modules.batchnorm import _BatchNorm
    except ImportError:
        return None
    return _BatchNorm


@no_grad()
def update_bn(loader, model: Module, device=None) -> None:
    """Recompute every BatchNorm's running statistics with one pass of `loader` through `model`.

    The statistics are reset and accumulated as a cumulative average
    (momentum None) over the batches; each batch is a tensor or a list/tuple
    whose first element is the model's input. The model's training mode and
    the modules' momenta are restored afterwards.
    """
    base = _batchnorm_base()
    momenta = {}
    for module in model.modules():
        if base is not None and isinstance(module, base):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    for batch in loader:
        if isinstance(batch, (list, tuple)):
            batch = batch[0]
        if device is not None:
            batch = batch.to(device)
        model(batch)
    for module, momentum in momenta.items():
        module.momentum = momentum
    model.train(was_training)


class SWALR(LRScheduler):
    """Anneals each group's lr to its swa_lr over anneal_epochs steps ('cos' or 'linear'), then holds it.

    Applied recursively, like torch, so that it takes over from whatever lr
    the previous schedule left.
    """

    def __init__(self, optimizer, swa_lr, anneal_epochs=10, anneal_strategy: str = "cos", last_epoch=-1) -> None:
        for value, group in zip(_format_param("swa_lr", optimizer, swa_lr), optimizer.param_groups, strict=True):
            group["swa_lr"] = value
        if anneal_strategy not in ["cos", "linear"]:
            raise ValueError(f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}")
        self._set_anneal_func(anneal_strategy)
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    _linear_anneal = staticmethod(schedules.swa_linear)
    _cosine_anneal = staticmethod(schedules.swa_cos)

    @staticmethod
    def _get_initial_lr(lr, swa_lr, alpha):
        """The lr annealing started from, recovered from the current lr at weight alpha."""
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def get_lr(self) -> list:
        _warn_get_lr_called_within_step(self)
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        prev_alpha = self.anneal_func(schedules.swa_progress(step - 1, self.anneal_epochs))
        starts = [self._get_initial_lr(group["lr"], group["swa_lr"], prev_alpha)
                  for group in self.optimizer.param_groups]
        alpha = self.anneal_func(schedules.swa_progress(step, self.anneal_epochs))
        return [group["swa_lr"] * alpha + lr * (1 - alpha)
                for group, lr in zip(self.optimizer.param_groups, starts, strict=True)]

    def _set_anneal_func(self, anneal_strategy: str) -> None:
        self._anneal_strategy = anneal_strategy
        self.anneal_func = self._cosine_anneal if anneal_strategy == "cos" else self._linear_anneal

    def state_dict(self) -> dict:
        return self._state_without("anneal_func")

    def load_state_dict(self, state_dict: dict) -> None:
        self.__dict__.update(state_dict)
        self._set_anneal_func(self._anneal_strategy)
