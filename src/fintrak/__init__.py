"""fintrak: find human-trafficking activity in bank transaction data.

The top level stays light: importing :mod:`fintrak` loads no heavy dependency. Use the sub-modules:

- :mod:`fintrak.schema` - the canonical tables (the input contract);
- :mod:`fintrak.validation` - read, map and validate a bank's extract;
- :mod:`fintrak.synth` - the synthetic bank used by the demo, the tests and training.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
