"""Scoring: typology rules, the gradient-boosted model, and their combination.

:class:`~fintrak.scoring.rules.RuleScorer` applies the typologies in ``typologies/``;
:mod:`fintrak.scoring.model` trains and loads the model; :mod:`fintrak.scoring.combine` mixes the
two scores.
"""

from fintrak.scoring.rules import RuleResult, RuleScorer, role_hypothesis

__all__ = ["RuleResult", "RuleScorer", "role_hypothesis"]
