"""A bag-of-words model with sparse EmbeddingBag gradients trained by SparseAdam (+ Adam for the head)."""
import numtorch as torch
import numtorch.nn as nn
import numtorch.nn.functional as F

torch.manual_seed(0)
VOCAB, DOCS = 50, 120
lengths = torch.randint(2, 9, (DOCS,))
tokens = torch.randint(0, VOCAB, (int(lengths.sum()),))
offsets = torch.cat([torch.zeros(1, dtype=torch.long), lengths.cumsum(0)[:-1]])
weights = torch.rand(len(tokens))
doc_id = torch.repeat_interleave(torch.arange(DOCS), lengths)
labels = torch.zeros(DOCS, dtype=torch.long).index_add_(0, doc_id, (tokens < 20).long()) * 2 > lengths


class BoW(nn.Module):
    def __init__(self):
        super().__init__()
        self.bag = nn.EmbeddingBag(VOCAB, 8, mode="sum", sparse=True)
        self.head = nn.Linear(8, 2)

    def forward(self, toks, offs, w):
        return self.head(self.bag(toks, offs, per_sample_weights=w))


model = BoW()
sparse_opt = torch.optim.SparseAdam(list(model.bag.parameters()), lr=0.05)
dense_opt = torch.optim.Adam(model.head.parameters(), lr=0.05)
for step in range(12):
    out = model(tokens, offsets, weights)
    loss = F.cross_entropy(out, labels.long())
    sparse_opt.zero_grad()
    dense_opt.zero_grad()
    loss.backward()
    g = model.bag.weight.grad
    sparse_opt.step()
    dense_opt.step()
    if step % 3 == 0:
        acc = (out.argmax(1) == labels).float().mean().item()
        dense = g.coalesce().to_dense()
        print(f"step {step:2d} loss {loss.item():.5f} acc {acc:.4f} sparse={g.is_sparse} "
              f"nnz_rows {int((dense.abs().sum(1) > 0).sum())} gsum {dense.sum().item():.5f}")

mean_bag = nn.EmbeddingBag.from_pretrained(model.bag.weight.detach(), mode="mean")
max_bag = nn.EmbeddingBag(VOCAB, 8, mode="max")
with torch.no_grad():
    print("mean", [round(v, 4) for v in mean_bag(tokens[:6].view(2, 3)).sum(1).tolist()])
    print("max", [round(v, 4) for v in max_bag(tokens, offsets)[:3].sum(1).tolist()])
    emb = F.embedding(tokens[:5], model.bag.weight, max_norm=1.0)
    print("max_norm", [round(v, 4) for v in emb.norm(dim=1).tolist()])
