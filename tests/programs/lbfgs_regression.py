"""Polynomial regression fitted with LBFGS (strong Wolfe line search) through a closure."""
import numtorch as torch
import numtorch.nn as nn

torch.manual_seed(0)
x = torch.linspace(-2, 2, 80, dtype=torch.float64).unsqueeze(1)
y = 0.5 * x ** 3 - x + 0.3 + 0.05 * torch.randn(80, 1, dtype=torch.float64)
features = torch.cat([x ** k for k in range(1, 5)], dim=1)

model = nn.Linear(4, 1).double()
for line_search in (None, "strong_wolfe"):
    with torch.no_grad():
        model.weight.zero_()
        model.bias.fill_(0.1)
    opt = torch.optim.LBFGS(model.parameters(), lr=0.5 if line_search is None else 1, max_iter=20,
                            history_size=5, line_search_fn=line_search)
    evals = []

    def closure():
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(features), y)
        loss.backward()
        evals.append(loss.item())
        return loss

    for outer in range(3):
        loss = opt.step(closure)
        print(f"{line_search} outer {outer} loss {loss.item():.8f} evals {len(evals)}")
    state = opt.state[opt._params[0]]
    print("func_evals", state["func_evals"], "n_iter", state["n_iter"])
    print("coef", [round(v, 5) for v in model.weight.flatten().tolist()], round(model.bias.item(), 5))

net = nn.Sequential(nn.Linear(1, 8), nn.Tanh(), nn.Linear(8, 1))
opt = torch.optim.LBFGS(net.parameters(), max_iter=10, line_search_fn="strong_wolfe")
xf, yf = x.float(), y.float()


def closure():
    opt.zero_grad()
    loss = (net(xf) - yf).pow(2).mean()
    loss.backward()
    return loss


for outer in range(3):
    print(f"mlp outer {outer} loss {opt.step(closure).item():.5f}")
