"""fintrak: find human-trafficking activity in bank transaction data.

The top level stays light: importing :mod:`fintrak` loads no heavy dependency; the functions below
import their modules on first use.

- :func:`fintrak.score` - validate and score a bank's extract (:mod:`fintrak.pipeline`);
- :func:`fintrak.validate` - read, map and validate a bank's extract (:mod:`fintrak.validation`);
- :mod:`fintrak.schema` - the canonical tables (the input contract);
- :mod:`fintrak.synth` - the synthetic bank used by the demo, the tests and training.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

__all__ = ["__version__", "score", "validate"]

_LAZY = {
    "validate": ("fintrak.validation", "validate"),
    "score": ("fintrak.pipeline", "score"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from importlib import import_module

        module, attribute = _LAZY[name]
        return getattr(import_module(module), attribute)
    raise AttributeError(f"module 'fintrak' has no attribute {name!r}")
