"""Rebuild ``src/fintrak/reference/catalogue.yaml`` from the indicator catalogue (indicators.md).

Usage: python tools/build_catalogue.py ../shared/reference/indicators.md

The catalogue lists the published red flags (rows A1..J5) and the source documents (keys such
as F20, FT16, AU22). Feature and typology metadata cite these ids; fintrak checks at import and
load time that every citation resolves against this file.
"""

from __future__ import annotations

import hashlib
import re
import sys
from pathlib import Path

import yaml

OUT = Path(__file__).resolve().parents[1] / "src" / "fintrak" / "reference" / "catalogue.yaml"
ROW = re.compile(r"^\| ([A-J]\d+) \| `([a-z0-9_]+)`(?: \(inferred\))? \| (.+?) \| .+ \| (.+?) \|$")
SOURCE = re.compile(r"^\| \*\*([A-Z0-9]+)\*\* \| (.+?) \| (.+?) \|$")
SECTION = re.compile(r"^### ([A-J])\. (.+?) \(\d+\)$")


def _clean(text: str) -> str:
    return re.sub(r"\*\*", "", text).strip()


def main(path: str) -> None:
    text = Path(path).read_text(encoding="utf-8")
    sources, rows, families = {}, {}, {}
    for line in text.splitlines():
        if m := SOURCE.match(line):
            document = _clean(m.group(2))
            sources[m.group(1)] = {
                "document": document,
                "verification": _clean(m.group(3)).split(".")[0],
            }
        elif m := SECTION.match(line):
            families[m.group(1)] = m.group(2)
        elif m := ROW.match(line):
            row_id, name, description, source = m.groups()
            keys = sorted(
                set(
                    re.findall(
                        r"\b(F20|F14|F23|F26|FT16|FT21|AU22|FATF18|GT|ABA19|EUR15|EUR16|POL|UK|TRF|LI19|OSCE19|ORCL|PRAC|MCC)\b",
                        source,
                    )
                )
            )
            rows[row_id] = {
                "name": name,
                "family": families.get(row_id[0], ""),
                "description": _clean(description),
                "sources": keys,
                "inferred": "(inferred)" in line.split("|")[2]
                or source.strip().startswith("(inferred)"),
            }
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    document = {
        "provenance": {
            "derived_from": "fintrak indicator catalogue (shared/reference/indicators.md)",
            "sha256": digest,
            "note": "Row ids and source keys cited by features and typologies. Regenerate with "
            "tools/build_catalogue.py; do not edit by hand.",
        },
        "sources": sources,
        "indicators": rows,
    }
    OUT.write_text(
        yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100), encoding="utf-8"
    )
    print(f"{len(rows)} indicators, {len(sources)} sources -> {OUT}")


if __name__ == "__main__":
    main(sys.argv[1])
