"""Build-outs decided before the future is known: the stochastic programme of FORMULATION.md E4.

Modules: ``weights`` (the inputs checked: scenarios with probabilities, decision year, CVaR),
``extensive_form`` (all scenarios' programs in one, early builds shared), ``plans`` (early-build
plans read, committed to in a scenario, scored), ``programme`` (RP, WS, EVPI, EEV, VSS, regret).
"""

from optimizer.hedge.extensive_form import CVaR, ExtensiveForm, build_extensive_form, early_builds
from optimizer.hedge.programme import HedgeResult, hedge
from optimizer.hedge.weights import parse_cvar, parse_weighted

__all__ = [
    "CVaR",
    "ExtensiveForm",
    "HedgeResult",
    "build_extensive_form",
    "early_builds",
    "hedge",
    "parse_cvar",
    "parse_weighted",
]
