"""torch.random: seeding and state of the default CPU generator."""
from ._random import default_generator, fork_rng, get_rng_state, initial_seed, manual_seed, seed, set_rng_state

__all__ = ["set_rng_state", "get_rng_state", "manual_seed", "seed", "initial_seed", "fork_rng",
           "thread_safe_generator"]


def thread_safe_generator():
    """The generator of the current DataLoader thread worker, or None (the default generator is used).

    numtorch's DataLoader workers are processes, so this is None unless a worker provides one.
    """
    from .utils.data import get_worker_info
    info = get_worker_info()
    rng = getattr(info, "rng", None) if getattr(info, "worker_method", None) == "thread" else None
    return getattr(rng, "torch_generator", None)
