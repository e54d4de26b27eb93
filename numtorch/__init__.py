"""numtorch: PyTorch's autograd and optimizers, on NumPy. `import numtorch as torch`."""
from __future__ import annotations

from . import _dtype
from ._device import device
from ._dtype import (bfloat16, bool, can_cast, cdouble, cfloat, complex64, complex128, double, dtype, float,
                     float16, float32, float64, get_default_dtype, half, int, int8, int16, int32, int64, long,
                     promote_types, result_type, set_default_dtype, short, uint8)
from ._size import Size
from ._tensor import Tensor
from . import autograd
from .autograd.grad_mode import (enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled,
                                 no_grad, set_grad_enabled)
from ._ops import *  # noqa: F401,F403 - the op namespace mirrors torch.*
from ._random import *  # noqa: F401,F403

__version__ = "0.1.0"
