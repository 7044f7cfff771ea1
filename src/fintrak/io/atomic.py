"""Atomic output: every file is written to a temporary name in its folder, then renamed.

A crash or a full disk leaves either the previous file or no file, never half of one.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pandas as pd

from fintrak.exceptions import OutputExistsError

__all__ = [
    "atomic_path",
    "check_output_dir",
    "check_output_file",
    "prepare_output_dir",
    "write_json_atomic",
    "write_parquet_atomic",
    "write_text_atomic",
]


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` when the block succeeds.

    Parameters
    ----------
    path : path-like
        The final file name.

    Yields
    ------
    pathlib.Path
        Where to write. It is removed if the block raises.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text("done")
    >>> target.read_text()
    'done'
    """
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual permissions
    try:
        yield tmp
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def _atomic_text(path: str | os.PathLike[str]) -> Iterator[IO[str]]:
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="\n") as handle:
        yield handle
        handle.flush()
        os.fsync(handle.fileno())


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically and return the path."""
    with _atomic_text(path) as handle:
        handle.write(text)
    return Path(path)


def write_json_atomic(path: str | os.PathLike[str], obj: Any) -> Path:
    """Write ``obj`` as indented, key-sorted JSON to ``path`` atomically and return the path."""
    return write_text_atomic(path, json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n")


def write_parquet_atomic(path: str | os.PathLike[str], frame: pd.DataFrame) -> Path:
    """Write ``frame`` to Parquet atomically, without the pandas index, and return the path.

    The file is byte-identical for identical frames (no creation time is stored).
    """
    with atomic_path(path) as tmp:
        frame.to_parquet(tmp, index=False, engine="pyarrow", compression="zstd")
    return Path(path)


def prepare_output_dir(path: str | os.PathLike[str], *, overwrite: bool) -> Path:
    """Create the run folder ``path``, refusing an existing non-empty one unless ``overwrite``.

    Parameters
    ----------
    path : path-like
        The output folder.
    overwrite : bool
        Allow writing into a folder that already holds files (each file is replaced atomically).

    Returns
    -------
    pathlib.Path
        The folder, created if needed.

    Raises
    ------
    OutputExistsError
        If the folder exists, is not empty and ``overwrite`` is false.
    """
    out = check_output_dir(path, overwrite=overwrite)
    out.mkdir(parents=True, exist_ok=True)
    return out


def check_output_dir(path: str | os.PathLike[str], *, overwrite: bool) -> Path:
    """Refuse an output folder that is a file, or exists with files, unless ``overwrite``.

    Nothing is created: call it before reading inputs, so a refused run leaves no trace.

    Parameters
    ----------
    path : path-like
        The output folder.
    overwrite : bool
        Allow a folder that already holds files.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    OutputExistsError
        If ``path`` is a file, or a non-empty folder and ``overwrite`` is false.
    """
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise OutputExistsError(
            f"output {out} exists and is a file, not a folder\n  fix: choose another --out"
        )
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise OutputExistsError(
            f"output folder {out} already exists and is not empty\n"
            "  fix: choose a new --out folder, or pass --overwrite to replace its files"
        )
    return out


def check_output_file(path: str | os.PathLike[str], *, overwrite: bool) -> Path:
    """Refuse an output file that is a folder, or exists, unless ``overwrite``.

    Parameters
    ----------
    path : path-like
        The output file.
    overwrite : bool
        Allow replacing an existing file (it is replaced atomically by the writer).

    Returns
    -------
    pathlib.Path

    Raises
    ------
    OutputExistsError
        If ``path`` is a folder, or exists and ``overwrite`` is false.
    """
    out = Path(path)
    if out.is_dir():
        raise OutputExistsError(f"output {out} is a folder\n  fix: give a file name for --out")
    if out.exists() and not overwrite:
        raise OutputExistsError(
            f"output file {out} already exists\n"
            "  fix: choose another file, or pass --overwrite to replace it"
        )
    return out
