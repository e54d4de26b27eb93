"""Every op, grouped by kind. Each module lists its public functions in its own
`__all__` and binds its own Tensor methods; importing this package does both."""
from .comparison import *  # noqa: F401,F403
from .conversion import *  # noqa: F401,F403
from .creation import *  # noqa: F401,F403
from .indexing import *  # noqa: F401,F403
from .linalg import *  # noqa: F401,F403
from .pointwise import *  # noqa: F401,F403
from .reduction import *  # noqa: F401,F403
from .rounding import *  # noqa: F401,F403
from .shape import *  # noqa: F401,F403
from . import comparison, conversion, creation, indexing, linalg, pointwise, reduction, rounding, shape

__all__ = [n for m in (comparison, conversion, creation, indexing, linalg, pointwise, reduction, rounding, shape)
           for n in m.__all__]
