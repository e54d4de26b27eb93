"""A custom autograd.Function, tensor and module hooks, a Dataset with collate_fn, no_grad evaluation."""
import numpy as np

import numtorch as torch
import numtorch.nn as nn
from numtorch.utils.data import DataLoader, Dataset


class ClippedSquare(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, limit):
        ctx.save_for_backward(x)
        ctx.limit = limit
        return x.clamp(-limit, limit) ** 2

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        inside = (x.abs() <= ctx.limit).to(grad.dtype)
        return grad * 2 * x.clamp(-ctx.limit, ctx.limit) * inside, None


class Points(Dataset):
    def __init__(self, n):
        rng = np.random.default_rng(3)
        self.x = rng.normal(size=(n, 3)).astype(np.float32)
        self.y = (np.sin(self.x[:, 0]) + self.x[:, 1] * self.x[:, 2]).astype(np.float32)

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return {"x": self.x[i], "y": self.y[i], "id": i}


def collate(items):
    return (torch.tensor(np.stack([it["x"] for it in items])),
            torch.tensor([it["y"] for it in items]).unsqueeze(1), [it["id"] for it in items])


torch.manual_seed(0)
ds = Points(100)
loader = DataLoader(ds, batch_size=20, shuffle=True, collate_fn=collate)
lin1, lin2 = nn.Linear(3, 12), nn.Linear(12, 1)
grad_norms, act_means = [], []
lin1.weight.register_hook(lambda g: grad_norms.append(g.norm().item()))
lin1.register_forward_hook(lambda mod, inp, out: act_means.append(out.mean().item()))
lin2.register_full_backward_hook(lambda mod, gin, gout: None)
params = list(lin1.parameters()) + list(lin2.parameters())
opt = torch.optim.Adagrad(params, lr=0.1, lr_decay=1e-3)

for epoch in range(4):
    ids = []
    for x, y, batch_ids in loader:
        pred = lin2(ClippedSquare.apply(lin1(x), 1.5))
        loss = torch.nn.functional.smooth_l1_loss(pred, y, beta=0.5)
        opt.zero_grad()
        loss.backward()
        opt.step()
        ids.extend(batch_ids)
    with torch.no_grad():
        xs, ys, _ = collate([ds[i] for i in range(len(ds))])
        full = torch.nn.functional.l1_loss(lin2(ClippedSquare.apply(lin1(xs), 1.5)), ys)
    print(f"epoch {epoch} loss {loss.item():.5f} eval_l1 {full.item():.5f} first_ids {ids[:4]}")
print(f"hooks: {len(grad_norms)} grads, last {grad_norms[-1]:.5f}; {len(act_means)} activations")
x = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
print("gradcheck", torch.autograd.gradcheck(lambda t: ClippedSquare.apply(t, 5.0), (x,)))
