"""A VAE on synthetic blobs: reparameterization, KL term, Adam with ReduceLROnPlateau."""
import numpy as np

import numtorch as torch
import numtorch.nn as nn
import numtorch.nn.functional as F

torch.manual_seed(0)
centers = np.random.default_rng(1).normal(size=(4, 10)).astype(np.float32)
data = torch.from_numpy(centers[np.arange(256) % 4]) + 0.3 * torch.randn(256, 10)
data = torch.sigmoid(data)


class VAE(nn.Module):
    def __init__(self, d=10, h=32, z=2):
        super().__init__()
        self.enc = nn.Sequential(nn.Linear(d, h), nn.LeakyReLU(0.1), nn.LayerNorm(h))
        self.mu, self.logvar = nn.Linear(h, z), nn.Linear(h, z)
        self.dec = nn.Sequential(nn.Linear(z, h), nn.SiLU(), nn.Linear(h, d))

    def forward(self, x):
        h = self.enc(x)
        mu, logvar = self.mu(h), self.logvar(h).clamp(-6, 6)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return self.dec(z), mu, logvar


model = VAE()
opt = torch.optim.Adam(model.parameters(), lr=2e-2, weight_decay=1e-4, amsgrad=True)
sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="min", factor=0.5, patience=1, threshold=1e-2)
for epoch in range(10):
    total = torch.zeros(())
    for batch in data.split(64):
        recon, mu, logvar = model(batch)
        rec = F.binary_cross_entropy_with_logits(recon, batch, reduction="sum") / batch.shape[0]
        kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp(), dim=1).mean()
        loss = rec + min(1.0, epoch / 4) * kl
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        total += loss.detach() * batch.shape[0]
    sched.step(total / len(data))
    print(f"epoch {epoch} loss {(total / len(data)).item():.4f} kl {kl.item():.4f} lr {opt.param_groups[0]['lr']:.5f}")

with torch.no_grad():
    model.eval()
    z = torch.randn(3, 2)
    samples = torch.sigmoid(model.dec(z))
    _, mu, _ = model(data[:8])
print("samples", [round(v, 4) for v in samples.mean(1).tolist()])
print("mu std", round(mu.std(dim=0, unbiased=True).mean().item(), 4))
