"""What happens around an alert: suppression lists, the alert history and dispositions.

See ``docs/alert-history.md`` and ``docs/model-governance.md``.
"""

from __future__ import annotations

from fintrak.alerting.dispositions import (
    DISPOSITION_COLUMNS,
    OUTCOMES,
    labels_from_dispositions,
    read_dispositions,
)
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
    "DISPOSITION_COLUMNS",
    "HISTORY_COLUMNS",
    "OUTCOMES",
    "SUPPRESSION_COLUMNS",
    "RealertRule",
    "active_suppressions",
    "held_back_by_history",
    "labels_from_dispositions",
    "read_dispositions",
    "read_history",
    "read_suppression",
    "update_history",
    "write_history",
]
