"""Geography and mobility: how many places an account's card, ATM and cash activity touches.

Catalogue row I1 (F20 §II financial 1; FT16: stays in several cities in a short period and ATM
activity in different cities; ORCL: ``No_different_states_perc``). Only rows where the holder is
physically present (card, ATM and branch cash) carry a city that says where the holder was; a wire's
city is the other side's (see ``schema.TRANSACTIONS``), so wires, ACH and P2P are left out.

The module also holds two small helpers the other feature modules share: :func:`text_codes`
(normalised text keys as integer codes) and :func:`distinct_per_account`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fintrak.features._registry import FeatureSpec, features
from fintrak.features.context import FeatureContext

__all__ = [
    "PRESENCE_CHANNELS",
    "away_from_home",
    "card_mobility",
    "city_switching",
    "column_codes",
    "distinct_per_account",
    "text_codes",
]

#: Channels whose ``city`` is where the account holder was: card, ATM and branch cash.
PRESENCE_CHANNELS: tuple[str, ...] = ("card", "atm", "cash")


def text_codes(values: pd.Series) -> np.ndarray:
    """Return integer codes of trimmed, case-folded text; -1 where the value is null or blank.

    Equal codes mean equal normalised text (``" Miami"`` and ``"MIAMI"`` share one code). Only the
    distinct values are normalised, so this is cheap on millions of rows.

    Parameters
    ----------
    values : pandas.Series
        Text (e.g. ``city`` or ``counterparty_name``).

    Returns
    -------
    numpy.ndarray of int64

    Examples
    --------
    >>> text_codes(pd.Series(["Miami", " miami ", None, "Tampa", ""])).tolist()
    [0, 0, -1, 1, -1]
    """
    codes, uniques = pd.factorize(values)
    if len(uniques) == 0:
        return codes.astype(np.int64)
    normalised = pd.Series(uniques, dtype="string").str.strip().str.casefold()
    normalised = normalised.mask(normalised == "")
    recoded, _ = pd.factorize(normalised)
    lookup = np.append(recoded, -1)  # codes of -1 (null) index the appended -1
    return lookup[codes].astype(np.int64)


def column_codes(ctx: FeatureContext, column: str) -> np.ndarray:
    """Return :func:`text_codes` of transactions column ``column``, normalised once for all windows.

    The same codes as ``text_codes(ctx.transactions[column])`` (numbered in order of first
    appearance): the text is normalised once on the as-of context and each look-back window
    renumbers its own rows' codes, which costs one integer factorisation.
    """
    codes = ctx.per_row(("text_codes", column), lambda root: text_codes(root.transactions[column]))
    out = np.full(len(codes), -1, dtype=np.int64)
    known = codes >= 0
    out[known] = pd.factorize(codes[known])[0]
    return out


def distinct_per_account(ctx: FeatureContext, codes: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Count distinct non-negative ``codes`` per account over rows where ``mask`` holds.

    Parameters
    ----------
    ctx : FeatureContext
        The context (rows aligned with ``codes`` and ``mask``).
    codes : numpy.ndarray of int
        Keys as integer codes; negative codes mean unknown and are not counted.
    mask : numpy.ndarray of bool
        Rows to consider.

    Returns
    -------
    numpy.ndarray of float
        One value per account in ``ctx.account_ids``; 0 where no row qualifies.
    """
    keep = mask & (codes >= 0)
    width = int(codes.max(initial=0)) + 1
    acct = ctx.transactions["acct"].to_numpy()[keep].astype(np.int64)
    pairs = np.unique(acct * width + codes[keep])
    return np.bincount(pairs // width, minlength=ctx.n_accounts).astype(np.float64)


def _presence(ctx: FeatureContext) -> np.ndarray:
    return ctx.channel_in(PRESENCE_CHANNELS)


@features(
    card_cities_7d=FeatureSpec(
        description="Counts distinct cities of the account's card, ATM and branch cash "
        "transactions in the last 7 days.",
        reason="card, ATM or cash activity in {value:.0f} cities in the last 7 days "
        "(peers: {peer:.0f})",
        typologies=("sex_trafficking", "funnel"),
        refs=("I1", "E2", "F20", "FT16"),
        unit="cities",
        window="7D",
        kind="count",
    ),
    card_cities_30d=FeatureSpec(
        description="Counts distinct cities of the account's card, ATM and branch cash "
        "transactions in the last 30 days.",
        reason="card, ATM or cash activity in {value:.0f} cities in the last 30 days "
        "(peers: {peer:.0f})",
        typologies=("sex_trafficking", "funnel"),
        refs=("I1", "E2", "F20", "FT16"),
        unit="cities",
        window="30D",
        kind="count",
    ),
    requires=("timestamp", "channel", "city"),
)
def card_mobility(ctx: FeatureContext) -> pd.DataFrame:
    """Distinct cities of card, ATM and branch cash rows in the last 7 and 30 days.

    Parameters
    ----------
    ctx : FeatureContext
        Transactions up to ``as_of``.

    Returns
    -------
    pandas.DataFrame
        ``card_cities_7d`` and ``card_cities_30d``, one row per account.
    """
    cities = column_codes(ctx, "city")
    present = _presence(ctx)
    return ctx.frame(
        card_cities_7d=distinct_per_account(ctx, cities, present & ctx.within(7)),
        card_cities_30d=distinct_per_account(ctx, cities, present & ctx.within(30)),
    )


@features(
    away_from_home_share_30d=FeatureSpec(
        description="Share of the account's card, ATM and branch cash transactions with a known "
        "city in the last 30 days that happened outside the holder's home city (KYC). NaN when "
        "the home city is unknown or no such transaction has a city.",
        reason="{value:.0%} of card, ATM or cash activity away from the home city in the last "
        "30 days (peers: {peer:.0%})",
        typologies=("sex_trafficking", "funnel"),
        refs=("I1", "E1", "F20", "F14"),
        unit="share",
        window="30D",
        kind="share",
    ),
    requires=("timestamp", "channel", "city", "accounts.city"),
)
def away_from_home(ctx: FeatureContext) -> pd.DataFrame:
    """Share of city-bearing presence rows in the last 30 days outside the KYC home city.

    Parameters
    ----------
    ctx : FeatureContext
        Transactions up to ``as_of``.

    Returns
    -------
    pandas.DataFrame
        ``away_from_home_share_30d``, one row per account.
    """
    txn = ctx.transactions
    both = text_codes(pd.concat([txn["city"], txn["home_city"]], ignore_index=True))
    city, home = both[: len(txn)], both[len(txn) :]
    rows = _presence(ctx) & ctx.within(30) & (city >= 0) & (home >= 0)
    return ctx.frame(
        away_from_home_share_30d=ctx.share(ctx.count(rows & (city != home)), ctx.count(rows))
    )


@features(
    city_switch_rate_30d=FeatureSpec(
        description="Among consecutive pairs of the account's card, ATM and branch cash "
        "transactions with a known city in the last 30 days, the share whose city differs from "
        "the previous one. NaN with fewer than two such transactions.",
        reason="the city changed between {value:.0%} of consecutive card, ATM or cash "
        "transactions in the last 30 days (peers: {peer:.0%})",
        typologies=("sex_trafficking", "funnel"),
        refs=("I1", "F20", "ORCL"),
        unit="share",
        window="30D",
        kind="share",
    ),
    requires=("timestamp", "channel", "city"),
)
def city_switching(ctx: FeatureContext) -> pd.DataFrame:
    """Share of consecutive city-bearing presence rows (last 30 days) that change city.

    Parameters
    ----------
    ctx : FeatureContext
        Transactions up to ``as_of`` (sorted by account, then time).

    Returns
    -------
    pandas.DataFrame
        ``city_switch_rate_30d``, one row per account.
    """
    city = column_codes(ctx, "city")
    rows = np.flatnonzero(_presence(ctx) & ctx.within(30) & (city >= 0))
    acct = ctx.transactions["acct"].to_numpy()[rows]
    codes = city[rows]
    pair = acct[1:] == acct[:-1]  # consecutive rows of one account
    switched = pair & (codes[1:] != codes[:-1])
    pairs = np.bincount(acct[1:][pair], minlength=ctx.n_accounts).astype(np.float64)
    switches = np.bincount(acct[1:][switched], minlength=ctx.n_accounts).astype(np.float64)
    return ctx.frame(city_switch_rate_30d=ctx.share(switches, pairs))
