"""What an investigator receives: SAR narrative drafts (more reports to come).

See ``docs/sar-narratives.md``.
"""

from __future__ import annotations

from fintrak.report.narrative import Narrative, draft_narrative, write_narratives

__all__ = ["Narrative", "draft_narrative", "write_narratives"]
