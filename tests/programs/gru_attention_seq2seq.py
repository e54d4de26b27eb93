"""A GRU encoder-decoder with dot-product attention reverses digit strings (teacher forcing, masks)."""
import random

import numtorch as torch
import numtorch.nn as nn
import numtorch.nn.functional as F

random.seed(0)
torch.manual_seed(0)
V, H, PAD, SOS = 10, 24, 0, 1


def batch(n):
    lens = [random.randint(3, 6) for _ in range(n)]
    src = torch.full((n, 6), PAD, dtype=torch.long)
    tgt = torch.full((n, 6), PAD, dtype=torch.long)
    for i, L in enumerate(lens):
        s = torch.randint(2, V, (L,))
        src[i, :L] = s
        tgt[i, :L] = s.flip(0)
    return src, tgt


class Seq2Seq(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(V, H, padding_idx=PAD)
        self.enc = nn.GRU(H, H, batch_first=True)
        self.cell = nn.GRUCell(2 * H, H)
        self.out = nn.Linear(2 * H, V)

    def forward(self, src, tgt, teacher=0.5):
        keys, h = self.enc(self.emb(src))
        h = h.squeeze(0)
        pad = (src == PAD)
        tok = torch.full((src.size(0),), SOS, dtype=torch.long)
        logits = []
        for t in range(tgt.size(1)):
            scores = torch.einsum("bh,bth->bt", h, keys).masked_fill(pad, float("-inf"))
            ctx = torch.bmm(F.softmax(scores, dim=-1).unsqueeze(1), keys).squeeze(1)
            h = self.cell(torch.cat([self.emb(tok), ctx], dim=1), h)
            step = self.out(torch.cat([h, ctx], dim=1))
            logits.append(step)
            tok = tgt[:, t] if random.random() < teacher else step.argmax(1)
        return torch.stack(logits, dim=1)


model = Seq2Seq()
opt = torch.optim.NAdam(model.parameters(), lr=1e-2)
sched = torch.optim.lr_scheduler.SequentialLR(opt, [torch.optim.lr_scheduler.LinearLR(opt, 0.2, total_iters=5),
                                                    torch.optim.lr_scheduler.ExponentialLR(opt, 0.97)],
                                              milestones=[5])
for step in range(25):
    src, tgt = batch(32)
    logits = model(src, tgt)
    loss = F.cross_entropy(logits.reshape(-1, V), tgt.reshape(-1), ignore_index=PAD)
    opt.zero_grad()
    loss.backward()
    nn.utils.clip_grad_value_(model.parameters(), 0.5)
    opt.step()
    sched.step()
    if step % 6 == 0:
        print(f"step {step:2d} loss {loss.item():.5f} lr {sched.get_last_lr()[0]:.6f}")

model.eval()
with torch.no_grad():
    src, tgt = batch(64)
    pred = model(src, tgt, teacher=0.0).argmax(-1)
    mask = tgt != PAD
    print("token acc", round((pred[mask] == tgt[mask]).float().mean().item(), 4))
    top = F.softmax(model(src[:2], tgt[:2], teacher=0.0)[:, 0], dim=-1).topk(3)
    print(top.values, top.indices)
    print(torch.unique(pred[mask], return_counts=True))
