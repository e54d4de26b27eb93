"""A char-level LSTM tags and classifies variable-length strings with packed sequences."""
import numpy as np

import numtorch as torch
import numtorch.nn as nn
import numtorch.nn.functional as F
from numtorch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pad_sequence

rng = np.random.default_rng(0)
torch.manual_seed(0)
PAD, VOCAB = 0, 8
seqs = [torch.from_numpy(rng.integers(1, VOCAB, size=rng.integers(3, 11))) for _ in range(48)]
labels = torch.tensor([int((s == 3).sum() > (s == 5).sum()) for s in seqs])
lengths = torch.tensor([len(s) for s in seqs])
padded = pad_sequence(seqs, batch_first=True, padding_value=PAD)
# per-token target: is this char larger than the previous one? padding is ignored
tok_tgt = torch.where(padded == PAD, torch.full_like(padded, -100),
                      (padded > torch.roll(padded, 1, dims=1)).long())


class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(VOCAB, 16, padding_idx=PAD)
        self.lstm = nn.LSTM(16, 24, num_layers=2, batch_first=True, bidirectional=True, dropout=0.2)
        self.drop = nn.Dropout(0.3)
        self.tok = nn.utils.weight_norm(nn.Linear(48, 2))
        self.cls = nn.Linear(48, 2)

    def forward(self, x, lens):
        packed = pack_padded_sequence(self.emb(x), lens, batch_first=True, enforce_sorted=False)
        out, (h, c) = self.lstm(packed)
        out, out_lens = pad_packed_sequence(out, batch_first=True, total_length=x.size(1))
        summary = torch.cat([h[-2], h[-1]], dim=1)
        return self.tok(self.drop(out)), self.cls(self.drop(summary))


model = Tagger()
opt = torch.optim.RMSprop(model.parameters(), lr=5e-3, momentum=0.5)
tok_loss = nn.CrossEntropyLoss(ignore_index=-100)
for epoch in range(6):
    model.train()
    perm = torch.randperm(len(seqs))
    for i in range(0, len(seqs), 16):
        idx = perm[i:i + 16]
        tok_logits, cls_logits = model(padded[idx], lengths[idx])
        loss = tok_loss(tok_logits.transpose(1, 2), tok_tgt[idx]) + F.cross_entropy(cls_logits, labels[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        tok_logits, cls_logits = model(padded, lengths)
        mask = tok_tgt != -100
        tok_acc = (tok_logits.argmax(-1)[mask] == tok_tgt[mask]).float().mean()
        cls_acc = (cls_logits.argmax(1) == labels).sum().item() / len(labels)
    print(f"epoch {epoch} loss {loss.item():.5f} tok_acc {tok_acc.item():.4f} cls_acc {cls_acc:.4f}")
print("g norm", model.tok.weight_g.norm().item().__round__(5))
