"""A tiny WGAN-GP on 2-D data: autograd.grad with create_graph, RMSprop/Adam, printing tensors and modules."""
import numtorch as torch
import numtorch.nn as nn

torch.manual_seed(0)
torch.set_printoptions(precision=4)
real_data = torch.randn(256, 2) @ torch.tensor([[1.0, 0.5], [0.0, 0.3]]) + torch.tensor([2.0, -1.0])

G = nn.Sequential(nn.Linear(3, 16), nn.ReLU(), nn.Linear(16, 2))
D = nn.Sequential(nn.Linear(2, 16), nn.LeakyReLU(0.2), nn.Linear(16, 16), nn.Softplus(), nn.Linear(16, 1))
print(G)
print("params", sum(p.numel() for p in D.parameters() if p.requires_grad))
opt_g = torch.optim.Adam(G.parameters(), lr=1e-3, betas=(0.5, 0.9))
opt_d = torch.optim.Adam(D.parameters(), lr=1e-3, betas=(0.5, 0.9))


def gradient_penalty(real, fake):
    alpha = torch.rand(real.size(0), 1).expand_as(real)
    mixed = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    score = D(mixed)
    grads, = torch.autograd.grad(score, mixed, grad_outputs=torch.ones_like(score), create_graph=True)
    return ((grads.norm(2, dim=1) - 1) ** 2).mean()


for it in range(15):
    for _ in range(3):
        real = real_data[torch.randint(0, 256, (32,))]
        fake = G(torch.randn(32, 3)).detach()
        gp = gradient_penalty(real, fake)
        d_loss = D(fake).mean() - D(real).mean() + 10 * gp
        opt_d.zero_grad()
        d_loss.backward()
        opt_d.step()
    for p in D.parameters():
        p.requires_grad_(False)
    g_loss = -D(G(torch.randn(32, 3))).mean()
    opt_g.zero_grad()
    g_loss.backward()
    opt_g.step()
    for p in D.parameters():
        p.requires_grad_(True)
    if it % 5 == 4:
        print(f"iter {it} d_loss {d_loss.item():.5f} gp {gp.item():.5f} g_loss {g_loss.item():.5f}")

with torch.no_grad():
    samples = G(torch.randn(500, 3))
print(samples.mean(0), samples.std(0))
print(samples[:3])
print(torch.cov(samples.T))
print(D[0].weight.grad is None, D[0].bias.grad.shape, g_loss)
