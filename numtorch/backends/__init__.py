"""torch.backends: the flags seed-setting and training boilerplate sets.

numtorch has none of these backends (it is NumPy on the CPU), so every `is_available()` is False
and the flags are plain module attributes: setting `cudnn.deterministic = True` or
`cudnn.benchmark = False` is accepted, read back, and changes nothing.
"""
from . import cpu, cuda, cudnn, mkl, mkldnn, mps, openmp

__all__ = ["cpu", "cuda", "cudnn", "mkl", "mkldnn", "mps", "openmp"]
