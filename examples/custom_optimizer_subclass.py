"""A custom optimizer written the way PyTorch's tutorials teach: an Optimizer subclass.

SGDW (Loshchilov & Hutter): SGD with heavy-ball momentum and decoupled weight
decay. Per parameter p with gradient g (negated when maximize):

    buf = momentum * buf + g        (buf = g on the first step)
    p   = p - lr * (buf + weight_decay * p)

Run it to train the tutorials' linear model with it and check it with
numtorch.optim.testing.check_optimizer; or from the command line:

    numtorch check examples/custom_optimizer_subclass.py:SGDW

custom_optimizer_chain.py and custom_optimizer_contrib.py write the same
optimizer two other ways and reuse `train` below; all three print the same
trajectory. docs/custom_optimizer.md walks through them.
"""
import numtorch as torch
from numtorch.optim import Optimizer
from numtorch.optim.testing import check_optimizer


class SGDW(Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0.9, weight_decay=1e-2, *, maximize=False):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, momentum=momentum, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

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
                grad = -p.grad if group["maximize"] else p.grad
                state = self.state[p]
                if "momentum_buffer" not in state:
                    buf = state["momentum_buffer"] = grad.clone()
                else:
                    buf = state["momentum_buffer"]
                    buf.mul_(group["momentum"]).add_(grad)
                update = buf.add(p, alpha=group["weight_decay"])
                p.sub_(update * group["lr"])
        return loss


# -- the tutorials' thermometer data: readings t_u (scaled by 0.1) against degrees Celsius t_c --------
T_C = [0.5, 14.0, 15.0, 28.0, 11.0, 8.0, 3.0, -4.0, 6.0, 13.0, 21.0]
T_U = [35.7, 55.9, 58.2, 81.9, 56.3, 48.9, 33.9, 21.8, 48.4, 60.4, 68.4]


def decay_groups(model, weight_decay):
    """Weight decay on the weight, none on the bias: two param groups, the usual recipe."""
    return [{"params": [model.weight], "weight_decay": weight_decay},
            {"params": [model.bias], "weight_decay": 0.0}]


def train(make_optimizer, epochs=600):
    """Fit a Linear(1, 1) to the data with make_optimizer(model), halving the lr every 200 epochs.

    Prints the trajectory (loss, parameters, lr); returns the model. In float64,
    so that the printed digits do not hang on float32 rounding.
    """
    x = 0.1 * torch.tensor(T_U, dtype=torch.float64).unsqueeze(1)
    y = torch.tensor(T_C, dtype=torch.float64).unsqueeze(1)
    model = torch.nn.Linear(1, 1, dtype=torch.float64)
    with torch.no_grad():
        model.weight.fill_(1.0)
        model.bias.zero_()
    optimizer = make_optimizer(model)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=200, gamma=0.5)
    for epoch in range(1, epochs + 1):
        optimizer.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        optimizer.step()
        scheduler.step()
        if epoch % 100 == 0:
            print(f"epoch {epoch:4d}  loss {loss.item():10.6f}  w {model.weight.item():9.6f}  "
                  f"b {model.bias.item():10.6f}  lr {optimizer.param_groups[0]['lr']:.5f}")
    print(f"final w={model.weight.item()!r} b={model.bias.item()!r}")
    return model


if __name__ == "__main__":
    train(lambda model: SGDW(decay_groups(model, 0.01), lr=0.01, momentum=0.9))
    report = check_optimizer(SGDW, lr=0.05, momentum=0.9, weight_decay=0.1)
    print(report)
    assert report.ok, report.failed
