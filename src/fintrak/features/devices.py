"""Devices and IP addresses: one person operating several customers' accounts.

Traffickers take over their victims' accounts: 53% of the survivors in the Polaris National
Survivor Study said traffickers accessed and used their bank accounts and credit (POL), and F20
asks for IP addresses in SARs. When the bank's online-banking, app or card-not-present logs give
``transactions.device_id`` and ``transactions.ip``, the accounts that one device operates can be
seen directly (G3, inferred). Without those columns this feature is skipped and the run manifest
says so.

Households share a home IP address and sometimes a tablet, so a value of 1 or 2 is ordinary; many
unrelated customers on one device is not. An address used by more than
:data:`MAX_CUSTOMERS_PER_IP` customers in the window is a public network (a mobile carrier's
shared address, a café or a library) and is ignored.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fintrak.features._registry import FeatureSpec, features
from fintrak.features.context import FeatureContext
from fintrak.features.population import _customers

__all__ = ["MAX_CUSTOMERS_PER_IP", "SHARED_DEVICE_DAYS"]

#: Look-back of the shared-device feature (a population feature sees one window only).
SHARED_DEVICE_DAYS = 90
#: An IP address used by more customers than this in the window is treated as a public network.
MAX_CUSTOMERS_PER_IP = 25


def _keys(ctx: FeatureContext, rows: np.ndarray) -> pd.DataFrame:
    """Return distinct (acct, customer, key) of the rows: ``d|device`` and ``i|ip`` keys."""
    txn = ctx.transactions
    acct = txn["acct"].to_numpy()[rows]
    customer = _customers(ctx).to_numpy()[acct]
    parts = []
    for column, prefix in (("device_id", "d|"), ("ip", "i|")):
        values = txn[column].to_numpy(dtype=object, na_value=None)[rows]
        known = pd.notna(values)
        parts.append(
            pd.DataFrame(
                {
                    "acct": acct[known],
                    "customer": customer[known],
                    "key": prefix + values[known].astype(str),
                }
            )
        )
    return pd.concat(parts, ignore_index=True).drop_duplicates()


@features(
    shared_device_customers_90d=FeatureSpec(
        description="Counts the other customers whose transactions in the last 90 days came from "
        "a device or an IP address that this account's transactions also came from (a customer's "
        "several accounts count once; addresses used by more than 25 customers, i.e. public "
        "networks, are ignored).",
        reason="{value:.0f} other customers used the same device or IP address as this account in "
        "the last 90 days (peers: {peer:.0f})",
        typologies=("sex_trafficking", "labour_trafficking"),
        refs=("G3", "F20", "POL"),
        unit="customers",
        window="90D",
        kind="count",
    ),
    level="population",
    requires=("timestamp", "device_id", "ip"),
)
def shared_devices(ctx: FeatureContext, account_features: pd.DataFrame) -> pd.DataFrame:
    """Count other customers on the account's devices and IP addresses (G3).

    Parameters
    ----------
    ctx : FeatureContext
        Transactions of every account up to ``as_of``.
    account_features : pandas.DataFrame
        Unused.

    Returns
    -------
    pandas.DataFrame
        ``shared_device_customers_90d``, one row per account.
    """
    out = np.zeros(ctx.n_accounts)
    txn = ctx.transactions
    if "device_id" not in txn or "ip" not in txn:
        return ctx.frame(shared_device_customers_90d=out)
    online = (txn["device_id"].notna() | txn["ip"].notna()).to_numpy(dtype=bool)
    rows = np.flatnonzero(online & ctx.within(SHARED_DEVICE_DAYS))
    if not len(rows):
        return ctx.frame(shared_device_customers_90d=out)
    keys = _keys(ctx, rows)
    users = keys.drop_duplicates(["key", "customer"])
    per_key = users.groupby("key")["customer"].size()
    public = per_key.index[per_key.index.str.startswith("i|") & (per_key > MAX_CUSTOMERS_PER_IP)]
    shared = per_key.index[per_key > 1].difference(public)
    mine = keys.loc[keys["key"].isin(shared), ["acct", "customer", "key"]]
    if not len(mine):
        return ctx.frame(shared_device_customers_90d=out)
    others = users.loc[users["key"].isin(shared), ["key", "customer"]]
    pairs = mine.merge(others, on="key", suffixes=("", "_other"))
    pairs = pairs[pairs["customer"] != pairs["customer_other"]]
    counts = pairs.drop_duplicates(["acct", "customer_other"]).groupby("acct").size()
    out[counts.index.to_numpy()] = counts.to_numpy()
    return ctx.frame(shared_device_customers_90d=out)
