"""The feature library: registered calculators turning transactions into typology features.

Import :func:`build_features` to compute every registered feature as of a date, and
:data:`FEATURES` for the metadata of each.
"""

from fintrak.features._registry import (
    CALCULATORS,
    FEATURES,
    FeatureSpec,
    describe_features,
    features,
)
from fintrak.features.context import FeatureContext

__all__ = [
    "CALCULATORS",
    "FEATURES",
    "FeatureContext",
    "FeatureSpec",
    "describe_features",
    "features",
]
