"""The classic autograd example: PyTorch's tutorial, with one import changed."""
import numtorch as torch

x = torch.ones(2, 2, requires_grad=True)
print(x)
y = x + 2
print(y)
print(y.grad_fn)
z = y * y * 3
out = z.mean()
print(z, out)
out.backward()
print(x.grad)  # d(out)/dx = 4.5 everywhere
