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
from .composite import *  # noqa: F401,F403
from .counting import *  # noqa: F401,F403
from .special import *  # noqa: F401,F403
from .linalg_aliases import *  # noqa: F401,F403
from .decomp import *  # noqa: F401,F403
from . import inplace_views  # noqa: F401 - binds Tensor.t_, transpose_, squeeze_, ...
from . import (comparison, composite, conversion, counting, creation, decomp, indexing, linalg, linalg_aliases,
               pointwise, reduction, rounding, shape, special)

__all__ = [n for m in (comparison, composite, conversion, counting, creation, decomp, indexing, linalg,
                       linalg_aliases, pointwise, reduction, rounding, shape, special)
           for n in m.__all__]
