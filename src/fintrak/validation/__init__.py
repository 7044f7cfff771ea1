"""Read, map and validate a bank's extract into fintrak's canonical tables.

Use :func:`validate` from Python and :func:`write_validation` to write a run folder; the command
line's ``fintrak validate`` does both.
"""

from fintrak.validation.run import ValidationResult, validate, write_validation

__all__ = ["ValidationResult", "validate", "write_validation"]
