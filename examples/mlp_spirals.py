"""An MLP classifier on two interleaved spirals, written exactly as for PyTorch.

The data is generated here (no downloads). Reaches >= 95% training accuracy.
"""
import math

import numtorch as torch
import numtorch.nn as nn
import numtorch.nn.functional as F
from numtorch.utils.data import DataLoader, TensorDataset


def two_spirals(n_per_class: int, noise: float = 0.1):
    t = torch.linspace(0.25, 3 * math.pi, n_per_class)
    arms = []
    for label, phase in enumerate((0.0, math.pi)):
        x = torch.stack([t * torch.cos(t + phase), t * torch.sin(t + phase)], dim=1) / 3
        arms.append((x + noise * torch.randn(n_per_class, 2), torch.full((n_per_class,), label)))
    xs, ys = zip(*arms)
    return torch.cat(xs), torch.cat(ys)


torch.manual_seed(0)
inputs, labels = two_spirals(500)
loader = DataLoader(TensorDataset(inputs, labels), batch_size=64, shuffle=True)
model = nn.Sequential(nn.Linear(2, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 2))
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=60)

for epoch in range(1, 61):
    model.train()
    for x, y in loader:
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
    scheduler.step()
    if epoch % 10 == 0:
        model.eval()
        with torch.no_grad():
            accuracy = (model(inputs).argmax(dim=1) == labels).float().mean().item()
        print(f"epoch {epoch:3d}  loss {loss.item():.4f}  accuracy {accuracy:.3f}")

assert accuracy >= 0.95, f"expected >= 95% accuracy, got {accuracy:.3f}"
