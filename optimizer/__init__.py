"""reeopt: an optimizer of the rare earth supply chain.

The data flows one way through the package:
files → ``instance`` → ``scenario`` → ``network`` → ``model`` → ``solver`` → ``solution`` →
``analysis`` → ``output``; ``api`` strings them together and ``cli`` is a thin shell around it.
"""

from optimizer.api import account, backcast, build_pyomo, load, network, solve, solve_model, write
from optimizer.errors import InputError
from optimizer.instance import Instance, load_instance
from optimizer.model import build_model
from optimizer.scenario import apply_scenario
from optimizer.solution import Solution
from optimizer.study import Study

__version__ = "0.1.0"
__all__ = [
    "Instance",
    "InputError",
    "Solution",
    "Study",
    "account",
    "apply_scenario",
    "backcast",
    "build_model",
    "build_pyomo",
    "load",
    "load_instance",
    "network",
    "solve",
    "solve_model",
    "write",
]
