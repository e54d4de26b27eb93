"""Hand-written gradient descent on a linear model, as in PyTorch's first tutorials.

Ends where torch ends: loss 9.776, w ~ 17.947, b ~ 32.944.
"""
import numtorch as torch

t_c = torch.tensor([0.5, 14.0, 15.0, 28.0, 11.0, 8.0, 3.0, -4.0, 6.0, 13.0, 21.0])
t_u = torch.tensor([35.7, 55.9, 58.2, 81.9, 56.3, 48.9, 33.9, 21.8, 48.4, 60.4, 68.4])
t_un = 0.1 * t_c


def model(t_u, w, b):
    return w * t_u + b


def loss_fn(t_p, t_c):
    return ((t_p - t_c) ** 2).mean()


def training_loop(n_epochs, learning_rate, params, t_u, t_c):
    for epoch in range(1, n_epochs + 1):
        if params.grad is not None:
            params.grad.zero_()
        t_p = model(t_u, *params)
        loss = loss_fn(t_p, t_c)
        loss.backward()
        with torch.no_grad():
            params -= learning_rate * params.grad
        if epoch % 500 == 0:
            print(f"Epoch {epoch}, Loss {float(loss):f}")
    return params


params = training_loop(n_epochs=1000, learning_rate=1e-2,
                       params=torch.tensor([1.0, 0.0], requires_grad=True), t_u=t_un, t_c=t_u)
print(params)
