"""The combined score that ranks accounts, and the alert decision.

``score = w_model × model_score + w_rule × rule_score``, with the weights stored in the model
folder's ``config.json``: training tries rule weights 0.1-0.4 and keeps the one with the best
held-out average precision (0.7 and 0.3 when a folder names none). Both inputs are in [0, 1], so
is the score. An account is alerted when ``score >= alert_threshold`` (also stored in the model
folder, chosen at training time). The model ranks finely; the rules add the published red flags
that fired, so an account matching a typology's alert level is lifted even when the model has
seen little like it.
"""

from __future__ import annotations

import numpy as np

__all__ = ["DEFAULT_WEIGHTS", "combined_score"]

DEFAULT_WEIGHTS = {"model": 0.7, "rule": 0.3}


def combined_score(
    model_score: np.ndarray, rule_score: np.ndarray, weights: dict[str, float] | None = None
) -> np.ndarray:
    """Return the weighted combination of model and rule scores (NaN counts as 0).

    Examples
    --------
    >>> combined_score(np.array([0.9, 0.1]), np.array([0.0, 1.0])).round(2).tolist()
    [0.63, 0.37]
    """
    w = weights or DEFAULT_WEIGHTS
    total = float(w["model"]) + float(w["rule"])
    model = np.nan_to_num(np.asarray(model_score, dtype=float))
    rule = np.nan_to_num(np.asarray(rule_score, dtype=float))
    return np.clip((float(w["model"]) * model + float(w["rule"]) * rule) / total, 0.0, 1.0)
