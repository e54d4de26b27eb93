"""torch.func: only functional_call (the transforms vmap, grad, jacrev, ... are not implemented)."""
from .nn.utils.stateless import func_functional_call as functional_call

__all__ = ["functional_call"]
