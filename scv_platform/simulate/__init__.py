"""Landing-zone simulator: writes every source file of the contract, deterministically.

``simulate(settings, out_dir, truth_dir)`` draws a population of customers in five
behavioural segments and writes what each source system would deliver about them (CRM
exports, legacy workbooks, shop orders, card transactions, weather), plus the ground truth
(who is who, segments, churn, injected anomalies) for evaluation and tests.
"""

from scv_platform.simulate.core import simulate
from scv_platform.simulate.report import SimulationReport

__all__ = ["SimulationReport", "simulate"]
