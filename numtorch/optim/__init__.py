"""numtorch.optim: torch.optim's optimizers, with torch's trajectories and checkpoint format."""
from . import optimizer
from .adam import Adam
from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["Adam", "Optimizer", "SGD"]
