"""Save a checkpoint mid-run, load it into fresh objects, and resume: the run continues identically."""
import os
import tempfile

import numtorch as torch
import numtorch.nn as nn
import numtorch.nn.functional as F


def make():
    model = nn.Sequential(nn.Linear(6, 16), nn.BatchNorm1d(16), nn.Tanh(), nn.Dropout(0.1), nn.Linear(16, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.02, momentum=0.9, nesterov=True, weight_decay=1e-3)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
    return model, opt, sched


def train_epoch(model, opt, sched, x, y, gen):
    model.train()
    for idx in torch.randperm(len(x), generator=gen).split(16):
        loss = F.mse_loss(model(x[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    sched.step()
    return loss.item()


torch.manual_seed(0)
x = torch.randn(64, 6)
y = (x[:, :1] * 2 - x[:, 1:2] ** 2 + 0.1 * torch.randn(64, 1))
model, opt, sched = make()
gen = torch.Generator().manual_seed(7)
path = os.path.join(tempfile.mkdtemp(), "ckpt.pt")
for epoch in range(8):
    if epoch == 4:
        torch.save({"epoch": epoch, "model": model.state_dict(), "optimizer": opt.state_dict(),
                    "scheduler": sched.state_dict(), "rng": torch.get_rng_state(),
                    "gen": gen.get_state()}, path)
    print(f"epoch {epoch} loss {train_epoch(model, opt, sched, x, y, gen):.5f} lr {sched.get_last_lr()[0]:.5f}")
final = [p.detach().clone() for p in model.parameters()]

ckpt = torch.load(path, weights_only=True)
model2, opt2, sched2 = make()
model2.load_state_dict(ckpt["model"])
opt2.load_state_dict(ckpt["optimizer"])
sched2.load_state_dict(ckpt["scheduler"])
torch.set_rng_state(ckpt["rng"])
gen2 = torch.Generator()
gen2.set_state(ckpt["gen"])
for epoch in range(ckpt["epoch"], 8):
    print(f"resumed {epoch} loss {train_epoch(model2, opt2, sched2, x, y, gen2):.5f} lr {sched2.get_last_lr()[0]:.5f}")
print("identical:", all(torch.equal(a, b) for a, b in zip(final, model2.parameters())))
print("buffers:", [k for k in ckpt["model"] if "running" in k or "num_batches" in k])
print("state keys:", sorted(ckpt["optimizer"]["state"][0]), ckpt["optimizer"]["param_groups"][0]["params"])
