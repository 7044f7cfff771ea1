"""Customer segments used to check that a model does not flag people for who they are.

FATF and FinCEN warn that trafficking red flags overlap with the ordinary lives of migrants,
remitters and people in cash-paid work. A model card therefore reports false-positive rates per
segment (:func:`account_segments`):

* ``occupation``: the KYC occupation as given (lower case, trimmed), ``unknown`` when missing;
* ``age_band``: the holder's age band at ``as_of`` (:func:`fintrak.features.peers.age_band`:
  ``<25``, ``25-34`` ... ``65+``), ``unknown`` without a date of birth;
* ``corridor``: the remittance corridor, the foreign country that received most of the account's
  outgoing money (debits whose ``country`` differs from the holder's country), ``domestic`` when
  none left the country.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fintrak.features.peers import age_band

__all__ = ["SEGMENT_COLUMNS", "account_segments"]

#: The segment columns, in the order the model card reports them.
SEGMENT_COLUMNS: tuple[str, ...] = ("occupation", "age_band", "corridor")


def _corridor(transactions: pd.DataFrame, home: pd.Series, index: pd.Index) -> pd.Series:
    out = pd.Series("domestic", index=index, dtype="string")
    if "country" not in transactions.columns or "direction" not in transactions.columns:
        return out
    rows = transactions.loc[
        (transactions["direction"].astype(str) == "debit") & transactions["country"].notna(),
        ["account_id", "country", "amount"],
    ]
    if len(rows) == 0:
        return out
    account = rows["account_id"].astype(str)
    country = rows["country"].astype(str).str.upper()
    own = account.map(home).astype("string").str.upper()
    abroad = (country != own.fillna("")).to_numpy(dtype=bool, na_value=True)
    sent = (
        pd.DataFrame(
            {
                "account_id": account[abroad].to_numpy(),
                "country": country[abroad].to_numpy(),
                "amount": rows["amount"].to_numpy(dtype=np.float64)[abroad],
            }
        )
        .groupby(["account_id", "country"], sort=True)["amount"]
        .sum()
        .reset_index()
        .sort_values(["account_id", "amount", "country"], ascending=[True, False, True])
        .drop_duplicates("account_id")
        .set_index("account_id")["country"]
    )
    sent = sent.reindex(index)
    return sent.where(sent.notna(), out).astype("string")


def account_segments(
    index: pd.Index,
    transactions: pd.DataFrame,
    accounts: pd.DataFrame | None,
    as_of: str | pd.Timestamp,
) -> pd.DataFrame:
    """Return each account's occupation, age band and remittance corridor.

    Parameters
    ----------
    index : pandas.Index
        The accounts (ids).
    transactions : pandas.DataFrame
        Canonical transactions (``account_id``, ``direction``, ``amount`` and ``country``).
    accounts : pandas.DataFrame or None
        Canonical accounts (``occupation``, ``date_of_birth``, ``country``); without them the
        occupation and age band are ``unknown`` and every foreign-country debit counts.
    as_of : str or Timestamp
        The date ages are computed at.

    Returns
    -------
    pandas.DataFrame
        :data:`SEGMENT_COLUMNS` (strings, never missing), indexed like ``index``.
    """
    ids = pd.Index(index.astype(str), name="account_id")
    kyc = (
        accounts.drop_duplicates("account_id").set_index(accounts["account_id"].astype(str))
        if accounts is not None
        else pd.DataFrame(index=pd.Index([], dtype=str))
    )
    kyc = kyc[~kyc.index.duplicated()].reindex(ids)
    if "occupation" in kyc.columns:
        occupation = kyc["occupation"].astype("string").str.strip().str.lower()
        occupation = occupation.where(occupation.notna() & (occupation != ""), "unknown")
    else:
        occupation = pd.Series("unknown", index=ids, dtype="string")
    if "date_of_birth" in kyc.columns:
        stamp = pd.Timestamp(as_of)
        stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp
        band = age_band(kyc["date_of_birth"], stamp).astype("string").fillna("unknown")
    else:
        band = pd.Series("unknown", index=ids, dtype="string")
    home = kyc["country"].astype("string") if "country" in kyc.columns else pd.Series(dtype=str)
    corridor = _corridor(transactions, home, ids)
    return pd.DataFrame(
        {
            "occupation": occupation.to_numpy(),
            "age_band": band.to_numpy(),
            "corridor": corridor.to_numpy(),
        },
        index=ids,
    ).astype("string")
