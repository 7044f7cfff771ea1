"""What an investigator receives: report pages, SAR narrative drafts and draft SAR batch XML.

See ``docs/report.md``, ``docs/sar-narratives.md`` and ``docs/sar-xml.md``.
"""

from __future__ import annotations

from fintrak.report.html import ReportResult, write_report
from fintrak.report.narrative import (
    Narrative,
    draft_narrative,
    narratives_for_run,
    write_narratives,
)
from fintrak.report.sar_xml import (
    FilerConfig,
    NarrativeBlocks,
    SarBatch,
    SarCase,
    SarXmlError,
    build_sar_batch,
    load_filer,
    sar_batch_for_run,
    split_narrative,
    write_sar_batch,
)

__all__ = [
    "FilerConfig",
    "Narrative",
    "NarrativeBlocks",
    "ReportResult",
    "SarBatch",
    "SarCase",
    "SarXmlError",
    "build_sar_batch",
    "draft_narrative",
    "load_filer",
    "narratives_for_run",
    "sar_batch_for_run",
    "split_narrative",
    "write_narratives",
    "write_report",
    "write_sar_batch",
]
