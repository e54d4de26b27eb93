"""A small encoder-decoder Transformer learns to copy sequences (causal mask, warmup, clipping)."""
import math

import numtorch as torch
import numtorch.nn as nn

torch.manual_seed(0)
VOCAB, D, LEN, BOS = 12, 32, 7, 0


class Copier(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, D)
        self.pos = nn.Parameter(torch.randn(1, LEN + 1, D) * 0.02)
        self.core = nn.Transformer(d_model=D, nhead=4, num_encoder_layers=1, num_decoder_layers=1,
                                   dim_feedforward=64, dropout=0.1, batch_first=True)
        self.head = nn.Linear(D, VOCAB)

    def forward(self, src, tgt_in):
        mask = nn.Transformer.generate_square_subsequent_mask(tgt_in.size(1))
        s = self.embed(src) * math.sqrt(D) + self.pos[:, :src.size(1)]
        t = self.embed(tgt_in) * math.sqrt(D) + self.pos[:, :tgt_in.size(1)]
        return self.head(self.core(s, t, tgt_mask=mask, tgt_is_causal=True))


model = Copier()
opt = torch.optim.Adam(model.parameters(), lr=3e-3, betas=(0.9, 0.98), eps=1e-9)
warmup = 10
sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / warmup))
loss_fn = nn.CrossEntropyLoss(label_smoothing=0.05)

for step in range(30):
    src = torch.randint(1, VOCAB, (16, LEN))
    tgt_in = torch.cat([torch.full((16, 1), BOS, dtype=torch.long), src[:, :-1]], dim=1)
    model.train()
    logits = model(src, tgt_in)
    loss = loss_fn(logits.reshape(-1, VOCAB), src.reshape(-1))
    opt.zero_grad()
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    opt.step()
    sched.step()
    if step % 5 == 0:
        print(f"step {step:2d} loss {loss.item():.5f} gnorm {norm.item():.5f} lr {sched.get_last_lr()[0]:.6f}")

model.eval()
with torch.no_grad():
    src = torch.randint(1, VOCAB, (4, LEN))
    out = torch.full((4, 1), BOS, dtype=torch.long)
    for _ in range(LEN):
        nxt = model(src, out)[:, -1].argmax(-1, keepdim=True)
        out = torch.cat([out, nxt], dim=1)
    acc = (out[:, 1:] == src).float().mean().item()
print(f"greedy copy accuracy {acc:.4f}")
print(out[:, 1:].tolist())
