"""The synthetic bank: ordinary lives, legitimate look-alikes and injected trafficking rings.

>>> from fintrak.synth import SynthConfig, generate
>>> bank = generate(SynthConfig(n_accounts=300, months=1, seed=7))
>>> sorted(bank.labels["segment"].unique())[:2]
['adult_creator', 'cash_business']
"""

from fintrak.synth.bank import SyntheticBank, generate, write_bank
from fintrak.synth.config import HARD_NEGATIVE_GROUPS, TYPOLOGIES, SynthConfig

__all__ = [
    "HARD_NEGATIVE_GROUPS",
    "TYPOLOGIES",
    "SynthConfig",
    "SyntheticBank",
    "generate",
    "write_bank",
]
