"""numtorch.optim: torch.optim's optimizers, with torch's trajectories and checkpoint format."""
from . import optimizer
from . import lr_scheduler, swa_utils
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam
from .adamax import Adamax
from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["Adadelta", "Adagrad", "Adam", "Adamax", "Optimizer", "SGD"]
