"""Every error fintrak raises on purpose derives from :class:`FintrakError`.

The command line turns a :class:`FintrakError` into one message and exit code 2 (the user can fix
it); anything else is an internal error (exit code 1). Each subclass also derives from the built-in
exception a Python user would expect, so ``except ValueError`` keeps working.
"""

from __future__ import annotations

__all__ = [
    "ColumnMapError",
    "ConfigError",
    "FintrakError",
    "InputFileError",
    "NoValidRowsError",
    "OutputExistsError",
]


class FintrakError(Exception):
    """Base class of the errors a user can fix; the message says what, where and how."""

    exit_code = 2


class InputFileError(FintrakError, ValueError):
    """An input file cannot be used as a whole: missing, unreadable or lacking a required column.

    Parameters
    ----------
    path : str
        The file.
    problem : str
        What is wrong, in one sentence.
    fix : str
        What the user should do about it.
    column : str, optional
        The column concerned, if any.
    row : int, optional
        The row concerned (1 = first data row), if any.
    """

    def __init__(
        self,
        path: str,
        problem: str,
        fix: str,
        *,
        column: str | None = None,
        row: int | None = None,
    ) -> None:
        self.path = str(path)
        self.problem = problem
        self.fix = fix
        self.column = column
        self.row = row
        where = [f"file {self.path}"]
        if column is not None:
            where.append(f"column {column!r}")
        if row is not None:
            where.append(f"row {row}")
        super().__init__(f"{', '.join(where)}: {problem}\n  fix: {fix}")


class NoValidRowsError(InputFileError):
    """Every row of an input table was rejected (the rejects file is still written)."""


class ColumnMapError(FintrakError, ValueError):
    """A column-map YAML file is malformed."""


class ConfigError(FintrakError, ValueError):
    """An option or configuration value is out of range or inconsistent."""


class OutputExistsError(FintrakError, FileExistsError):
    """The output folder exists and ``overwrite`` was not requested."""
