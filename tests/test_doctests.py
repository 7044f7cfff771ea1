"""The Examples sections of the public docstrings run and hold."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import fintrak


def _modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(fintrak.__path__, prefix="fintrak."):
        if info.name.startswith("fintrak._bundled"):
            continue
        names.append(info.name)
    return sorted(names)


@pytest.mark.parametrize("name", _modules())
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} doctest(s) failed in {name}"
