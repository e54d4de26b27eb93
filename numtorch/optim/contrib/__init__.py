"""numtorch.optim.contrib: optimizers torch.optim lacks, each following its paper, and a registry of all by name.

Every class here is a numtorch `Optimizer` (param groups, lazily created
state, torch-format state_dict, step hooks, schedulers); each class docstring
names its paper and the exact update it takes.
"""
from .adabelief import AdaBelief
from .adan import Adan
from .ademamix import AdEMAMix
from .adopt import ADOPT
from .lamb import Lamb
from .lars import LARS
from .lion import Lion
from .lookahead import Lookahead
from .prodigy import Prodigy
from .registry import create_optimizer, get_optimizer, list_optimizers, register_optimizer
from .sam import SAM
from .schedulefree import ScheduleFreeAdamW, ScheduleFreeSGD
from .soap import SOAP
from .sophia import SophiaH

__all__ = ["ADOPT", "AdEMAMix", "AdaBelief", "Adan", "LARS", "Lamb", "Lion", "Lookahead", "Prodigy", "SAM", "SOAP",
           "ScheduleFreeAdamW", "ScheduleFreeSGD", "SophiaH", "create_optimizer", "get_optimizer", "list_optimizers",
           "register_optimizer"]
