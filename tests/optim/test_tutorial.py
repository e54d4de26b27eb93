"""The linear-regression example from the PyTorch tutorials, printed numbers included."""
import pytest
import torch

import numtorch

X = [0.5, 14.0, 15.0, 28.0, 11.0, 8.0, 3.0, -4.0, 6.0, 13.0, 21.0]
Y = [35.7, 55.9, 58.2, 81.9, 56.3, 48.9, 33.9, 21.8, 48.4, 60.4, 68.4]


def model(x, w, b):
    return w * x + b


def loss_fn(pred, y):
    return ((pred - y) ** 2).mean()


def training_loop(m, n_epochs, lr):
    """The tutorial's loop; returns the printed loss of every epoch and the final params."""
    x, y = m.tensor(X) * 0.1, m.tensor(Y)
    params = m.tensor([1.0, 0.0], requires_grad=True)
    optimizer = m.optim.SGD([params], lr=lr)
    losses = []
    for _ in range(n_epochs):
        loss = loss_fn(model(x, *params), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(f"{loss.item():f}")
    return losses, params


def test_one_thousand_epochs():
    """Loss ~9.776 at epoch 1000 and params [17.9473, 32.9443], as torch prints them.

    The sixth decimal of the loss is float32 rounding noise: torch 2.13 on this
    machine prints 9.775997 at epoch 1000 (and 9.776002 at epoch 999), so the
    losses are compared with torch's to float32 tolerance, the params to the
    four decimals torch prints.
    """
    losses, params = training_loop(numtorch, 1000, 1e-2)
    t_losses, t_params = training_loop(torch, 1000, 1e-2)
    assert [float(v) for v in losses] == pytest.approx([float(v) for v in t_losses], rel=2e-6)
    assert float(losses[-1]) == pytest.approx(9.776, abs=1e-5)
    assert params.detach().numpy().tolist() == pytest.approx(t_params.detach().numpy().tolist(), rel=2e-6)
    assert [round(v, 4) for v in params.detach().numpy().tolist()] == [17.9473, 32.9443]


def test_one_small_step():
    _, params = training_loop(numtorch, 1, 1e-5)
    assert [round(v, 4) for v in params.detach().numpy().tolist()] == [1.0013, 0.0010]
    assert params.requires_grad and params.is_leaf
