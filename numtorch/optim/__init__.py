"""numtorch.optim: torch.optim's optimizers, with torch's trajectories and checkpoint format.

Each algorithm's update is torch's single-tensor (for-loop) algorithm, operation
for operation. The implementation flags: capturable only matters for CUDA
graphs, so on numtorch's CPU it is accepted and changes nothing. Adam(W), SGD,
Adagrad and RMSprop run numtorch's single-pass fast path (optim/_fast: one
fused loop per parameter, numba-compiled when installed), which gives the
per-parameter code's bits (to rounding on its NumPy fallback, without numba),
unless foreach=False without fused=True, or the step is recorded by autograd.
The other algorithms take their per-parameter path whatever foreach says.
"""
from . import optimizer
from . import lr_scheduler, swa_utils
from .adadelta import Adadelta
from .adafactor import Adafactor
from .adagrad import Adagrad
from .adam import Adam
from .adamax import Adamax
from .adamw import AdamW
from .asgd import ASGD
from .lbfgs import LBFGS
from .muon import Muon
from .nadam import NAdam
from .optimizer import Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .rprop import Rprop
from .sgd import SGD
from .sparse_adam import SparseAdam

__all__ = ["ASGD", "Adadelta", "Adafactor", "Adagrad", "Adam", "Adamax", "AdamW", "LBFGS", "Muon", "NAdam", "Optimizer",
           "RAdam", "RMSprop", "Rprop", "SGD", "SparseAdam"]

_TOOLKIT = ("transforms", "contrib", "debug", "testing")  # numtorch's own extras: imported on first use


def __getattr__(name: str):
    """numtorch's optimizer toolkit (not in torch.optim) loads on first use, keeping `import numtorch` fast."""
    import importlib
    if name in _TOOLKIT:
        return importlib.import_module(f"{__name__}.{name}")
    if name == "from_transform":
        return importlib.import_module(f"{__name__}.transforms").from_transform
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
