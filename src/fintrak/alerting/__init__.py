"""What happens between a score and an alert: suppression lists and the alert history.

See ``docs/alert-history.md``.
"""

from __future__ import annotations

from fintrak.alerting.history import (
    HISTORY_COLUMNS,
    RealertRule,
    held_back_by_history,
    read_history,
    update_history,
    write_history,
)
from fintrak.alerting.suppression import SUPPRESSION_COLUMNS, active_suppressions, read_suppression

__all__ = [
    "HISTORY_COLUMNS",
    "SUPPRESSION_COLUMNS",
    "RealertRule",
    "active_suppressions",
    "held_back_by_history",
    "read_history",
    "read_suppression",
    "update_history",
    "write_history",
]
