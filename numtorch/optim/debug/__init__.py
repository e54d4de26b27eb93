"""numtorch.optim.debug: find out what an optimizer is doing, and load its checkpoints safely.

- OptimizerMonitor: per-step, per-parameter gradient, update and state norms
  through step hooks; stops (or warns) at the first non-finite value, naming
  the parameter, the step and the state key.
- load_state_dict_by_name: load a checkpoint by parameter name, with a report
  of missing, unexpected and shape-mismatched entries.
- state_memory: the optimizer state's bytes per parameter, key and dtype.
"""
from .load import LoadReport, load_state_dict_by_name
from .memory import ParamStateMemory, StateMemory, state_memory
from .monitor import NonFiniteError, OptimizerMonitor

__all__ = ["OptimizerMonitor", "NonFiniteError", "load_state_dict_by_name", "LoadReport", "state_memory",
           "StateMemory", "ParamStateMemory"]
