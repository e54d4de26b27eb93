"""numtorch.optim.testing: check that an optimizer keeps torch.optim's contract.

`check_optimizer(MyOptimizer, lr=0.1)` runs each conformance property (see
`PROPERTIES`) on small problems with hand-written gradients and returns a
report naming every failed property with the likely bug. It works on any
Optimizer subclass and on anything a factory returns that behaves like one,
such as a chain of gradient transformations turned into an optimizer.
"""
from .check import check_optimizer
from .problems import Problem
from .properties import EXPLANATIONS, PROPERTIES
from .report import CheckReport, OptimizerCheckError, PropertyResult

__all__ = ["check_optimizer", "CheckReport", "PropertyResult", "OptimizerCheckError", "PROPERTIES", "EXPLANATIONS",
           "Problem"]
