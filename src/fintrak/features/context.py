"""What every calculator reads: the validated tables as of a date, prepared once.

:class:`FeatureContext` holds the transactions up to ``as_of`` (later rows are dropped, so no
feature can read the future), sorted by account and time, with derived columns computed once:

``acct``
    The account's position in :attr:`FeatureContext.account_ids` (int32) - group by this.
``age_days``
    Days between the transaction and ``as_of`` (>= 0). A 30-day window is ``age_days < 30``.
``local_hour``, ``local_dow``
    Hour (0-23) and weekday (0 = Monday) on the account holder's local clock (``accounts.timezone``;
    UTC where unknown).
``is_credit``
    ``direction == "credit"``.
``cp_key``
    The counterparty: ``counterparty_id`` when given, else the lower-cased ``counterparty_name``.
``home_city``, ``home_country``
    The holder's city and country from ``accounts`` (null where unknown).

Helpers (:meth:`count`, :meth:`total`, :meth:`nunique`, :meth:`frame`) aggregate per account with
numpy kernels and return arrays aligned with ``account_ids``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from fintrak.features import _columns
from fintrak.features.settings import FeatureSettings

__all__ = ["FeatureContext", "resolve_as_of"]


def resolve_as_of(as_of: str | pd.Timestamp | None, timestamps: pd.Series) -> pd.Timestamp:
    """Return the UTC cut-off: a date means the end of that day; None means the last timestamp.

    Examples
    --------
    >>> resolve_as_of("2025-03-01", pd.Series([], dtype="datetime64[us, UTC]"))
    Timestamp('2025-03-01 23:59:59.999999+0000', tz='UTC')
    """
    if as_of is None:
        if len(timestamps) == 0:
            raise ValueError("as_of must be given when there are no transactions.")
        return pd.Timestamp(timestamps.max()).tz_convert("UTC")
    stamp = pd.Timestamp(as_of)
    if isinstance(as_of, str) and len(as_of.strip()) == 10:
        stamp = stamp + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize("UTC")
    return stamp.tz_convert("UTC")


def _observations(
    observations: pd.DataFrame | None, account_ids: pd.Index, cutoff: pd.Timestamp
) -> pd.DataFrame | None:
    """Observations up to ``cutoff`` of the scored accounts, plus ``acct`` and ``age_days``."""
    if observations is None:
        return None
    obs = observations[observations["timestamp"] <= cutoff]
    acct = account_ids.get_indexer(obs["account_id"])
    obs = obs.loc[acct >= 0].copy()
    obs["acct"] = acct[acct >= 0].astype(np.int32)
    obs["age_days"] = (cutoff - obs["timestamp"]).dt.total_seconds().to_numpy() / 86400.0
    return obs.sort_values(["acct", "timestamp"], kind="stable").reset_index(drop=True)


def _shift_observations(observations: pd.DataFrame | None, days: float) -> pd.DataFrame | None:
    if observations is None:
        return None
    earlier = observations.loc[observations["age_days"].to_numpy() >= days].reset_index(drop=True)
    earlier["age_days"] = earlier["age_days"] - days
    return earlier


def _match_distinct(text: pd.Series, match: Callable[[pd.Series], np.ndarray]) -> np.ndarray:
    codes, uniques = pd.factorize(text)
    if len(uniques) == 0:
        return np.zeros(len(text), dtype=bool)
    hit = np.asarray(match(pd.Series(uniques, dtype="string")), dtype=bool)
    return np.append(hit, False)[codes]


def _prepare(
    transactions: pd.DataFrame, kyc: pd.DataFrame, account_ids: pd.Index, cutoff: pd.Timestamp
) -> pd.DataFrame:
    """Keep the scored accounts' rows up to ``cutoff``, derive columns, encode compactly, sort.

    Rows are sorted by account, time and transaction id. Text columns become categoricals (see
    :mod:`fintrak.features._columns`); a place and the holder's home place share their
    categories so they compare directly; MCCs are float64 (NaN where unknown). Each column is
    encoded, then taken in sorted order, one at a time, so the input is never copied whole.
    """
    acct = _columns.positions(account_ids, transactions["account_id"])
    keep = (acct >= 0) & (transactions["timestamp"] <= cutoff).to_numpy(dtype=bool)
    rows = np.flatnonzero(keep)
    stamps = transactions["timestamp"].iloc[rows]
    take = rows[_columns.sort_order(acct[rows], stamps, transactions["txn_id"].iloc[rows])]
    acct = acct[take].astype(np.int32)
    out: dict[str, Any] = {}
    for column in transactions.columns:
        values = transactions[column]
        if column in ("city", "country"):
            out[column] = None  # encoded below, with the holder's home place
        elif isinstance(values.dtype, pd.StringDtype | pd.CategoricalDtype) and column != "txn_id":
            (encoded,) = _columns.encode_text(values)
            (out[column],) = _columns.drop_unused(_columns.take(encoded, take))
        elif column == "mcc":
            out[column] = values.to_numpy(dtype="float64", na_value=np.nan)[take]
        else:
            out[column] = values.array.take(take)
    for place in ("city", "country"):
        if place not in kyc.columns:
            continue
        if place in transactions.columns:
            home = kyc[place].astype(transactions[place].dtype)
            where, at_home = _columns.encode_text(transactions[place], home)
            where = _columns.take(where, take)
        else:
            (at_home,) = _columns.encode_text(kyc[place].astype("str"))
            where = None
        at_home = _columns.take(at_home, acct)
        if where is None:
            (out[f"home_{place}"],) = _columns.drop_unused(at_home)
        else:
            out[place], out[f"home_{place}"] = _columns.drop_unused(where, at_home)
    out["acct"] = acct
    stamps = out["timestamp"]
    age = (cutoff - pd.Series(stamps)).dt.total_seconds().to_numpy()
    out["age_days"] = age / 86400.0
    hours, days = _columns.local_clock(pd.Series(stamps), kyc["timezone"], acct)
    out["local_hour"], out["local_dow"] = hours, days
    out["is_credit"] = np.asarray(out["direction"] == "credit", dtype=bool)
    out["cp_key"] = _columns.counterparty_keys(out["counterparty_id"], out["counterparty_name"])
    return pd.DataFrame({name: values for name, values in out.items() if values is not None})


@dataclass
class FeatureContext:
    """Validated tables as of a date, with derived columns and per-account aggregation helpers.

    Build it with :meth:`build`; calculators only read it.

    Attributes
    ----------
    transactions : pandas.DataFrame
        Canonical columns plus the derived ones listed in the module docstring, rows with
        ``timestamp <= as_of`` only, sorted by ``acct`` then ``timestamp``.
    accounts : pandas.DataFrame
        Canonical accounts indexed by ``account_id``, one row per id in ``account_ids`` (all-null
        rows for accounts seen only in transactions).
    intel : pandas.DataFrame or None
        Canonical intel table.
    observations : pandas.DataFrame or None
        Canonical staff observations with ``timestamp <= as_of`` and an account in
        ``account_ids``, plus ``acct`` (position in ``account_ids``) and ``age_days``; None when
        the bank gave none.
    as_of : pandas.Timestamp
        The UTC cut-off.
    account_ids : pandas.Index
        Every account scored: the union of ``accounts`` and the transactions' accounts, sorted.
    settings : FeatureSettings
        Thresholds per currency and reference lists.
    notes : dict
        Facts for the manifest (e.g. how many accounts had no time zone).
    """

    transactions: pd.DataFrame
    accounts: pd.DataFrame
    intel: pd.DataFrame | None
    as_of: pd.Timestamp
    account_ids: pd.Index
    settings: FeatureSettings
    notes: dict[str, Any] = field(default_factory=dict)
    observations: pd.DataFrame | None = None
    #: The as-of context a :meth:`shifted` one was cut from, and which of its rows it kept.
    _root: FeatureContext | None = field(default=None, repr=False, compare=False)
    _rows: np.ndarray | None = field(default=None, repr=False, compare=False)
    _memo: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def build(
        cls,
        transactions: pd.DataFrame,
        accounts: pd.DataFrame | None = None,
        intel: pd.DataFrame | None = None,
        *,
        as_of: str | pd.Timestamp | None = None,
        settings: FeatureSettings | None = None,
        account_ids: pd.Index | None = None,
        observations: pd.DataFrame | None = None,
    ) -> FeatureContext:
        """Prepare a context from canonical (validated) tables.

        Parameters
        ----------
        transactions, accounts, intel : pandas.DataFrame
            Canonical tables as produced by :func:`fintrak.validation.validate`.
        as_of : str or Timestamp, optional
            ``YYYY-MM-DD`` (through the end of that day, UTC) or a timestamp; default the last
            transaction.
        settings : FeatureSettings, optional
            Thresholds and lists; default the shipped ones.
        account_ids : pandas.Index, optional
            The accounts to compute for (default: every account in either table). A partition of
            a larger bank passes its own accounts here.
        observations : pandas.DataFrame, optional
            Canonical staff observations (optional table).

        Returns
        -------
        FeatureContext
        """
        settings = settings or FeatureSettings.default()
        cutoff = resolve_as_of(as_of, transactions["timestamp"])
        if accounts is None:
            from fintrak.schema import ACCOUNTS
            from fintrak.validation.table import empty_canonical

            accounts = empty_canonical(ACCOUNTS)
        if account_ids is None:
            ids = _columns.distinct(accounts["account_id"]).union(
                _columns.distinct(transactions["account_id"]), sort=False
            )
            account_ids = ids.astype("string").sort_values()
        kyc = accounts.drop_duplicates("account_id").set_index("account_id").reindex(account_ids)
        txn = _prepare(transactions, kyc, account_ids, cutoff)
        notes = {
            "as_of": cutoff.isoformat(),
            "transactions_after_as_of_ignored": int(
                len(transactions) - (transactions["timestamp"] <= cutoff).sum()
            ),
            "accounts": len(account_ids),
            "accounts_without_timezone": int(kyc["timezone"].isna().sum()),
        }
        return cls(
            transactions=txn,
            accounts=kyc,
            intel=intel,
            as_of=cutoff,
            account_ids=account_ids,
            settings=settings,
            notes=notes,
            observations=_observations(observations, account_ids, cutoff),
        )

    def partitions(self, max_rows: int) -> list[FeatureContext]:
        """Split into contexts of consecutive accounts with about ``max_rows`` rows or fewer each.

        Every account keeps its whole history in one partition (an account with more rows than
        ``max_rows`` is a partition of its own), so an account-level calculator gives the same
        values on a partition as on the whole. Rows are already sorted by account, so each
        partition is one slice of the rows.
        """
        if max_rows <= 0:
            raise ValueError(f"max_rows must be > 0. Got {max_rows} instead.")
        acct = self.transactions["acct"].to_numpy()
        per_account = np.bincount(acct, minlength=self.n_accounts)
        ends = np.cumsum(per_account)
        if self._rows is not None or len(acct) <= max_rows:
            return [self]
        cuts = np.searchsorted(ends, np.arange(max_rows, ends[-1], max_rows), side="right")
        bounds = np.unique(np.concatenate([[0], np.maximum(cuts, 1), [self.n_accounts]]))
        return [self._accounts_slice(a, b) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]

    def _accounts_slice(self, first: int, stop: int) -> FeatureContext:
        """Return the context of accounts ``first`` .. ``stop - 1`` (positions in account_ids)."""
        acct = self.transactions["acct"].to_numpy()
        lo, hi = np.searchsorted(acct, [first, stop])
        txn = self.transactions.iloc[lo:hi].reset_index(drop=True)
        txn["acct"] = (acct[lo:hi] - first).astype(np.int32)
        observations = self.observations
        if observations is not None:
            mine = observations["acct"].to_numpy()
            observations = observations.loc[(mine >= first) & (mine < stop)].reset_index(drop=True)
            observations["acct"] = (observations["acct"] - first).astype(np.int32)
        return FeatureContext(
            transactions=txn,
            accounts=self.accounts.iloc[first:stop],
            intel=self.intel,
            as_of=self.as_of,
            account_ids=self.account_ids[first:stop],
            settings=self.settings,
            notes=self.notes,
            observations=observations,
        )

    def shifted(self, days: float) -> FeatureContext:
        """Return the same context as of ``days`` earlier (later rows dropped, ages shifted).

        Derived columns are reused, not recomputed, so a look-back over several past dates costs
        one row filter per date.
        """
        txn = self.transactions
        keep = txn["age_days"].to_numpy() >= days
        earlier = txn.loc[keep].reset_index(drop=True)
        earlier["age_days"] = earlier["age_days"] - days
        cutoff = self.as_of - pd.Timedelta(days=days)
        rows = np.flatnonzero(keep)
        return FeatureContext(
            transactions=earlier,
            accounts=self.accounts,
            intel=self.intel,
            as_of=cutoff,
            account_ids=self.account_ids,
            settings=self.settings,
            notes={**self.notes, "as_of": cutoff.isoformat()},
            observations=_shift_observations(self.observations, days),
            _root=self._root or self,
            _rows=rows if self._rows is None else self._rows[rows],
        )

    # -- work shared by the look-back windows ------------------------------------------------------

    def per_row(self, key: Any, compute: Callable[[FeatureContext], np.ndarray]) -> np.ndarray:
        """Return ``compute(ctx)``, a row-wise array, computed once for every look-back window.

        ``compute`` must give one value per transaction row that depends on that row alone (e.g.
        "the counterparty name is on a list"); it runs once on the as-of context and each
        :meth:`shifted` window takes its own rows of the result. ``key`` names the computation.
        """
        root = self._root or self
        if key not in root._memo:
            root._memo[key] = compute(root)
        values = root._memo[key]
        return values if self._rows is None else values[self._rows]

    def once(self, key: Any, compute: Callable[[FeatureContext], Any]) -> Any:
        """Return ``compute(ctx)``, computed once for every look-back window.

        Only for results that read no transactions (e.g. KYC-only features), which are the same
        in every window.
        """
        root = self._root or self
        if key not in root._memo:
            root._memo[key] = compute(root)
        return root._memo[key]

    def threshold(self, name: str) -> np.ndarray:
        """Return threshold ``name`` in each transaction's currency (see ``settings.threshold``)."""
        return self.per_row(
            ("threshold", name),
            lambda root: root.settings.threshold(name, root.transactions["currency"].to_numpy()),
        )

    def mcc_in(self, group: str) -> np.ndarray:
        """Return a boolean mask: the transaction's MCC is in reference group ``group``."""
        return self.per_row(
            ("mcc_in", group),
            lambda root: root.settings.mcc_in(group, root.transactions["mcc"]),
        )

    def channel_in(self, channels: tuple[str, ...]) -> np.ndarray:
        """Return a boolean mask: the transaction's channel is one of ``channels``."""
        return self.per_row(
            ("channel_in", tuple(channels)),
            lambda root: root.transactions["channel"].isin(channels).to_numpy(dtype=bool),
        )

    def distinct_matches(
        self, key: Any, text: pd.Series, match: Callable[[pd.Series], np.ndarray]
    ) -> np.ndarray:
        """Return ``match`` applied to each distinct value of ``text`` once, spread over the rows.

        ``match`` takes the distinct values (pandas ``string``) and returns one bool each; rows
        whose text is null are False. When ``text`` is a whole transactions column, the result is
        computed once for every look-back window (cached under ``key``).
        """
        column = self.column_of(text)
        if column is not None:
            return self.per_row(
                (key, column), lambda root: _match_distinct(root.transactions[column], match)
            )
        return _match_distinct(text, match)

    def column_of(self, values: object) -> str | None:
        """Return the name of the transactions column ``values`` is (None if it is not one)."""
        name = getattr(values, "name", None)
        txn = self.transactions
        if not isinstance(values, pd.Series) or not isinstance(name, str) or name not in txn:
            return None
        if len(values) != len(txn) or values.array is not txn[name].array:
            return None
        return name

    @property
    def history_days(self) -> float:
        """Days between the earliest transaction and ``as_of`` (0 without transactions)."""
        ages = self.transactions["age_days"]
        return float(ages.max()) if len(ages) else 0.0

    # -- per-account aggregation helpers (arrays aligned with account_ids) -----------------------

    @property
    def n_accounts(self) -> int:
        """Number of accounts computed for."""
        return len(self.account_ids)

    def within(self, days: float) -> np.ndarray:
        """Boolean mask of transactions in the window ``(as_of - days, as_of]``."""
        return self.transactions["age_days"].to_numpy() < days

    def count(self, mask: np.ndarray) -> np.ndarray:
        """Count transactions per account where ``mask`` holds."""
        acct = self.transactions["acct"].to_numpy()
        return np.bincount(acct[mask], minlength=self.n_accounts).astype(np.float64)

    def total(self, values: np.ndarray | pd.Series, mask: np.ndarray) -> np.ndarray:
        """Sum of ``values`` per account over rows where ``mask`` holds (NaN values count as 0)."""
        acct = self.transactions["acct"].to_numpy()
        v = np.nan_to_num(np.asarray(values, dtype=np.float64)[mask])
        return np.bincount(acct[mask], weights=v, minlength=self.n_accounts)

    def nunique(self, keys: pd.Series | np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Count distinct non-null ``keys`` per account over rows where ``mask`` holds."""
        acct = self.transactions["acct"].to_numpy()[mask]
        key = pd.Series(keys.to_numpy()[mask] if isinstance(keys, pd.Series) else keys[mask])
        ok = key.notna().to_numpy()
        if not ok.any():
            return np.zeros(self.n_accounts)
        codes, _ = pd.factorize(key[ok])
        pairs = pd.DataFrame({"a": acct[ok], "k": codes}).drop_duplicates()
        return np.bincount(pairs["a"].to_numpy(), minlength=self.n_accounts).astype(np.float64)

    def share(self, numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
        """``numerator / denominator`` per account, NaN where the denominator is 0."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(
                denominator > 0, numerator / np.where(denominator > 0, denominator, 1), np.nan
            )

    def frame(self, **columns: np.ndarray) -> pd.DataFrame:
        """Return the calculator's result: one row per account, indexed by ``account_id``."""
        return pd.DataFrame(columns, index=self.account_ids.rename("account_id"))
