"""Locate the data shipped with fintrak: the ``models/`` and ``typologies/`` folders.

In an installed wheel they live inside the package (``fintrak/_bundled/...``); in a source checkout
(editable install) they are the repository's top-level folders. Code never uses paths relative to
the working directory.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

__all__ = ["bundled_dir", "models_dir", "typologies_dir"]

_SOURCE_ROOT = Path(__file__).resolve().parents[2]


def bundled_dir(name: str) -> Path:
    """Return the folder of shipped data called ``name`` (``models`` or ``typologies``).

    Parameters
    ----------
    name : {"models", "typologies"}
        Which folder.

    Returns
    -------
    pathlib.Path
        An existing folder.

    Raises
    ------
    FileNotFoundError
        If the installation is broken and the folder is nowhere to be found.

    Examples
    --------
    >>> bundled_dir("typologies").is_dir()
    True
    """
    if name not in ("models", "typologies"):
        raise ValueError(f"name must be 'models' or 'typologies'. Got {name!r} instead.")
    packaged = Path(str(files("fintrak") / "_bundled" / name))
    if packaged.is_dir():
        return packaged
    checkout = _SOURCE_ROOT / name
    if checkout.is_dir() and (_SOURCE_ROOT / "pyproject.toml").is_file():
        return checkout
    raise FileNotFoundError(
        f"fintrak's {name}/ folder is missing from this installation ({packaged}); reinstall "
        "fintrak with `pip install --force-reinstall fintrak`"
    )


def models_dir() -> Path:
    """Return the folder holding the shipped model(s)."""
    return bundled_dir("models")


def typologies_dir() -> Path:
    """Return the folder holding the shipped typology YAML files."""
    return bundled_dir("typologies")
