"""JSON Schemas (draft 2020-12) of fintrak's line-per-record outputs, shipped with the package.

* ``alert``: one line of ``alerts.jsonl`` (``alert.schema.json``);
* ``case``: one line of ``cases.jsonl`` (``case.schema.json``).

Every field is listed with its type, whether it may be null, its allowed values where they are
fixed, and a description in plain words; unknown fields are refused (``additionalProperties:
false``). A case-management system validates fintrak's output with any JSON Schema validator
(for example ``jsonschema`` in Python); fintrak itself only ships the schemas. See
``docs/outputs.md``.
"""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

__all__ = ["SCHEMAS", "load_schema", "schema_text"]

#: Schema names and the file each one describes.
SCHEMAS: dict[str, str] = {"alert": "alerts.jsonl", "case": "cases.jsonl"}


def schema_text(name: str) -> str:
    """Return the JSON text of the schema called ``name``, as shipped.

    Parameters
    ----------
    name : {"alert", "case"}
        Which schema.

    Returns
    -------
    str
        The schema file's text (UTF-8 JSON).

    Raises
    ------
    ValueError
        If ``name`` is not a schema name.

    Examples
    --------
    >>> schema_text("case").startswith("{")
    True
    """
    if name not in SCHEMAS:
        known = ", ".join(repr(k) for k in SCHEMAS)
        raise ValueError(f"name must be one of {known}. Got {name!r} instead.")
    return (files(__name__) / f"{name}.schema.json").read_text(encoding="utf-8")


def load_schema(name: str) -> dict[str, Any]:
    """Return the JSON Schema (draft 2020-12) of one line of an output file.

    Parameters
    ----------
    name : {"alert", "case"}
        ``alert`` for a line of ``alerts.jsonl``, ``case`` for a line of ``cases.jsonl``.

    Returns
    -------
    dict
        The schema, a fresh copy on every call.

    Raises
    ------
    ValueError
        If ``name`` is not a schema name.

    Examples
    --------
    >>> schema = load_schema("alert")
    >>> schema["$schema"]
    'https://json-schema.org/draft/2020-12/schema'
    >>> schema["required"][:3]
    ['account_id', 'alert_id', 'as_of']
    >>> schema["additionalProperties"]
    False
    """
    return json.loads(schema_text(name))
