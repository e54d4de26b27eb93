"""A small CNN on synthetic 12x12 images: BatchNorm2d, MaxPool, Dropout2d, AdamW + OneCycleLR."""
import numtorch as torch
import numtorch.nn as nn
import numtorch.nn.functional as F
from numtorch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
N = 192
labels = torch.randint(0, 3, (N,))
yy, xx = torch.meshgrid(torch.arange(12.0), torch.arange(12.0), indexing="ij")
patterns = torch.stack([torch.sin(xx / 2), torch.cos(yy / 2), torch.sin((xx + yy) / 3)])
images = patterns[labels].unsqueeze(1) + 0.5 * torch.randn(N, 1, 12, 12)
train = DataLoader(TensorDataset(images[:144], labels[:144]), batch_size=32, shuffle=True, drop_last=True)

model = nn.Sequential(
    nn.Conv2d(1, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(inplace=True),
    nn.MaxPool2d(2), nn.Dropout2d(0.1),
    nn.Conv2d(8, 16, 3, stride=1, padding="same", bias=False), nn.BatchNorm2d(16), nn.GELU(),
    nn.AdaptiveAvgPool2d((2, 2)), nn.Flatten(), nn.Dropout(0.2), nn.Linear(64, 3),
)
epochs = 5
opt = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.05)
sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-2, epochs=epochs, steps_per_epoch=len(train))

for epoch in range(epochs):
    model.train()
    correct = seen = 0
    for x, y in train:
        out = model(x)
        loss = F.cross_entropy(out, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        correct += out.argmax(dim=1).eq(y).sum().item()
        seen += y.numel()
    model.eval()
    with torch.no_grad():
        test_out = model(images[144:])
        test_acc = (test_out.argmax(1) == labels[144:]).float().mean().item()
        test_loss = F.nll_loss(F.log_softmax(test_out, dim=1), labels[144:]).item()
    print(f"epoch {epoch} train_loss {loss.item():.4f} train_acc {correct / seen:.4f} "
          f"test_loss {test_loss:.4f} test_acc {test_acc:.4f} lr {sched.get_last_lr()[0]:.6f}")
bn = model[1]
print("running_mean", [round(v, 4) for v in bn.running_mean[:4].tolist()], "batches", bn.num_batches_tracked.item())
