"""numtorch: PyTorch's autograd and optimizers, on NumPy. `import numtorch as torch`."""
from __future__ import annotations

import warnings as _warnings

# torch never warns about IEEE edge cases (inf * 0, log(0), exp overflow). NumPy's floating-point
# RuntimeWarnings are silenced when raised from numtorch's own code, and nowhere else.
_warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"numtorch(\.|$)")

from . import _dtype
from ._device import device, get_default_device, set_default_device
from ._dtype import (bfloat16, bool, can_cast, cdouble, cfloat, complex64, complex128, double, dtype, float,
                     float16, float32, float64, get_default_dtype, half, int, int8, int16, int32, int64, long,
                     promote_types, result_type, set_default_dtype, short, uint8)
from ._dtype import finfo, iinfo, set_default_tensor_type
from ._size import Size
from ._tensor import Tensor
from . import autograd
from .autograd.grad_mode import (enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled,
                                 no_grad, set_grad_enabled)
from .autograd.anomaly_mode import is_anomaly_check_nan_enabled, is_anomaly_enabled, set_anomaly_enabled
from ._ops import *  # noqa: F401,F403 - the op namespace mirrors torch.*
from ._random import *  # noqa: F401,F403
from . import random
from ._sparse import sparse_coo, sparse_coo_tensor
from ._tensor_str import set_printoptions
from . import cuda
from . import nn
from . import optim
from . import linalg
from .serialization import load, save
from . import utils
from ._settings import *  # noqa: F401,F403 - constants and recorded-only switches (set_num_threads, ...)
from . import backends
from ._nn_aliases import *  # noqa: F401,F403 - torch.conv2d, torch.dropout, ... (nn.functional's ops)
from . import func  # torch.func: functional_call only

__version__ = "0.1.0"


def __getattr__(name: str):
    """torch.distributions loads on first use (it is large and most programs never touch it)."""
    if name == "distributions":
        import importlib
        return importlib.import_module(".distributions", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
