"""A hand-written optimizer, and the same one with a classic bug, to try `numtorch check` on.

    numtorch check examples/my_optimizer.py:HeavyBall          # every property holds: exit status 0
    numtorch check examples/my_optimizer.py:LeakyHeavyBall     # grad_untouched fails: exit status 1

Run as a program, it fits the linear-regression example with HeavyBall.
"""
import numtorch as torch
from numtorch.optim import Optimizer


class HeavyBall(Optimizer):
    """SGD with heavy-ball momentum and L2 weight decay: buf = momentum * buf + grad; p -= lr * buf."""

    def __init__(self, params, lr=0.01, momentum=0.9, weight_decay=0.0, maximize=False):
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay, maximize=maximize))

    def direction(self, p, group):
        """The gradient with maximize and weight decay applied, as a new tensor (p.grad stays as it was)."""
        d = -p.grad if group["maximize"] else p.grad
        return d.add(p, alpha=group["weight_decay"]) if group["weight_decay"] else d

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                d = self.direction(p, group)
                state = self.state[p]
                if "momentum_buffer" not in state:
                    state["momentum_buffer"] = d.clone()
                else:
                    state["momentum_buffer"].mul_(group["momentum"]).add_(d)
                p.add_(state["momentum_buffer"], alpha=-group["lr"])
        return loss


class LeakyHeavyBall(HeavyBall):
    """The bug: weight decay and maximize are applied to p.grad in place, so the caller's gradients change."""

    def direction(self, p, group):
        d = p.grad
        if group["maximize"]:
            d.neg_()
        if group["weight_decay"]:
            d.add_(p, alpha=group["weight_decay"])
        return d


if __name__ == "__main__":
    t_c = torch.tensor([0.5, 14.0, 15.0, 28.0, 11.0, 8.0, 3.0, -4.0, 6.0, 13.0, 21.0])
    t_u = 0.1 * torch.tensor([35.7, 55.9, 58.2, 81.9, 56.3, 48.9, 33.9, 21.8, 48.4, 60.4, 68.4])
    params = torch.tensor([1.0, 0.0], requires_grad=True)
    optimizer = HeavyBall([params], lr=1e-3)
    for epoch in range(1, 2001):
        optimizer.zero_grad()
        loss = ((params[0] * t_u + params[1] - t_c) ** 2).mean()
        loss.backward()
        optimizer.step()
        if epoch % 500 == 0:
            print(f"Epoch {epoch}, Loss {loss.item():f}")
    print(params)
