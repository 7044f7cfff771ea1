"""Networks: groups of accounts held together by strong links.

The links of one pair of accounts (every kind) are added up into the pair's score. Accounts are
joined when their score reaches ``threshold``; a network is a connected group of joined accounts
(``scipy.sparse.csgraph.connected_components``). A network larger than ``max_network_size`` is
split by raising the threshold for its links only, step by step (each step multiplies it by
``split_step``), until every piece fits or no link is left to cut; so a chain of ordinary
customers who each know the next never becomes one giant network, while a ring whose members are
strongly tied to a collector stays whole.

Network ids are ``net-`` plus the first 12 hex digits of the BLAKE2b hash of the network's
smallest member id: stable across runs and input row order, and not an account id.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from fintrak.network._accounts import AccountIndex

__all__ = ["CLUSTER_KIND", "NETWORK_COLUMNS", "build_networks", "pair_scores"]

#: Columns of the network table.
NETWORK_COLUMNS: tuple[str, ...] = ("account_id", "network_id", "network_size")
#: Kinds of link that join two suspicious accounts whatever their weight: money between them,
#: or money from both to the same rare outside payee.
MONEY_KINDS: tuple[str, ...] = ("money", "beneficiary")
#: Kind of the weightless rows that join two suspicious accounts clustering on one identifier
#: (``links.suspicious_identifier_pairs``); an input of the grouping, never an output link.
CLUSTER_KIND = "suspicious_cluster"
#: Kinds of link that join two suspicious accounts whatever their weight.
JOINING_KINDS: tuple[str, ...] = (*MONEY_KINDS, CLUSTER_KIND)
#: Factor applied to the identifier links between two suspicious accounts.
SUSPICIOUS_PAIR_BOOST = 4.0


def pair_scores(links: pd.DataFrame, index: AccountIndex) -> tuple[np.ndarray, ...]:
    """Sum the weights of every kind of link per pair of accounts.

    Parameters
    ----------
    links : pandas.DataFrame
        ``account_a``, ``account_b``, ``weight`` (any kinds).
    index : AccountIndex
        The accounts.

    Returns
    -------
    a, b, score : numpy.ndarray
        Codes (``a < b``) and summed weight, sorted by pair.
    """
    a = index.codes(links["account_a"])
    b = index.codes(links["account_b"])
    ok = (a >= 0) & (b >= 0) & (a != b)
    a, b = np.minimum(a, b)[ok], np.maximum(a, b)[ok]
    w = links["weight"].to_numpy(dtype=np.float64)[ok]
    n = len(index)
    codes, first = pd.factorize(a * n + b, sort=True)
    score = np.bincount(codes, weights=w, minlength=len(first))
    return first // n, first % n, score


def _components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    graph = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n)).tocsr()
    return connected_components(graph, directed=False)[1]


def _canonical(labels: np.ndarray) -> np.ndarray:
    """Relabel components by their smallest member (codes are in sorted id order)."""
    n = len(labels)
    smallest = np.full(labels.max() + 1 if n else 0, n, dtype=np.int64)
    np.minimum.at(smallest, labels, np.arange(n))
    return smallest[labels]


def _attach(
    label: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    score: np.ndarray,
    flagged: np.ndarray,
    threshold: float,
) -> np.ndarray:
    """Move accounts whose weak links into a suspicious network add up (one round)."""
    n = len(label)
    sus_net = np.zeros(n, dtype=bool)
    sus_net[label[flagged]] = True
    x = np.r_[a, b]
    y = np.r_[b, a]
    w = np.r_[score, score]
    same = label[x] == label[y]
    own = np.bincount(x[same], weights=w[same], minlength=n)
    # links weaker than a fifth of the threshold (an identifier shared by a dozen accounts) do
    # not count: many of them would add up for every resident of a dormitory
    cand = ~same & sus_net[label[y]] & ~sus_net[label[x]] & (w >= threshold / 5)
    if not cand.any():
        return label
    x, net, w = x[cand], label[y[cand]], w[cand]
    codes, first = pd.factorize(x * n + net, sort=True)
    total = np.bincount(codes, weights=w)
    px, pnet = first // n, first % n
    ok = (total >= threshold) & (total > own[px])
    px, pnet, total = px[ok], pnet[ok], total[ok]
    if len(px) == 0:
        return label
    # best network per account: largest total, then smallest network label
    order = np.lexsort((pnet, -total, px))
    px, pnet = px[order], pnet[order]
    head = np.r_[True, px[1:] != px[:-1]]
    label = label.copy()
    label[px[head]] = pnet[head]
    return _canonical(label)


def _suspicious_pairs(
    links: pd.DataFrame,
    index: AccountIndex,
    a: np.ndarray,
    b: np.ndarray,
    score: np.ndarray,
    flagged: np.ndarray,
    threshold: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Scores of pairs of two suspicious accounts, and which of them are never cut.

    Two suspicious accounts are joined by money between them (any money link), a shared rare
    outside payee, an identifier on which suspicious accounts cluster (:data:`CLUSTER_KIND`),
    or by identifier links that reach the threshold once multiplied by
    ``SUSPICIOUS_PAIR_BOOST``, counting only links of at least a fifth of the threshold (an
    identifier held by a dozen accounts, a shelter's address, does not tie two rings
    together). Such a pair is never cut when a network is split.
    """
    both = flagged[a] & flagged[b]
    if not both.any():
        return score, both
    la = index.codes(links["account_a"])
    lb = index.codes(links["account_b"])
    ok = (la >= 0) & (lb >= 0) & (la != lb)
    la, lb = np.minimum(la, lb)[ok], np.maximum(la, lb)[ok]
    w = links["weight"].to_numpy(dtype=np.float64)[ok]
    if "kind" in links.columns:
        money = links["kind"].isin(JOINING_KINDS).to_numpy(dtype=bool, na_value=False)[ok]
    else:
        money = np.zeros(len(la), dtype=bool)
    sel = flagged[la] & flagged[lb]
    n = len(index)
    key = a * n + b
    pos = np.searchsorted(key, la[sel] * n + lb[sel])
    strong = np.bincount(
        pos, weights=np.where(w[sel] >= threshold / 5, w[sel], 0.0), minlength=len(a)
    )
    has_money = np.bincount(pos, weights=money[sel].astype(np.float64), minlength=len(a)) > 0
    joined = both & (has_money | (strong * SUSPICIOUS_PAIR_BOOST >= threshold))
    return np.where(joined, np.maximum(score, threshold), score), joined


def _network_id(account_id: str) -> str:
    return "net-" + hashlib.blake2b(account_id.encode("utf-8"), digest_size=6).hexdigest()


def build_networks(
    links: pd.DataFrame,
    accounts: AccountIndex | pd.Series,
    *,
    threshold: float = 0.5,
    max_network_size: int = 40,
    split_step: float = 1.25,
    senders: tuple[np.ndarray, np.ndarray] | None = None,
    suspicious: pd.Series | np.ndarray | list[str] | None = None,
) -> pd.DataFrame:
    """Group accounts into networks over links whose summed weight reaches ``threshold``.

    Parameters
    ----------
    links : pandas.DataFrame
        Link table (``account_a``, ``account_b``, ``weight``; other columns ignored).
    accounts : AccountIndex or pandas.Series
        Every account to place; accounts without a strong link get a network of their own.
    threshold : float
        Summed link weight from which two accounts are joined.
    max_network_size : int
        Networks above this size are split by raising the threshold for their links.
    split_step : float
        Factor applied to the threshold at each splitting step (> 1).
    suspicious : array-like of str, optional
        Ids of suspicious accounts (first-pass score, collectors). An account whose links into
        a network holding a suspicious account add up to ``threshold`` or more, and to more
        than its links into its own network, joins that network: a victim who shares an
        address with five ring members (each link weak) joins the ring. Links weaker than a
        fifth of ``threshold`` do not count.
    senders : (array-like of str, array-like of str), optional
        Pairs (sender id, beneficiary id): each sender is moved into its beneficiary's network
        after the grouping and splitting (one-off senders of a suspicious beneficiary,
        :func:`fintrak.network.links.one_off_senders`), leaving its own network.

    Returns
    -------
    pandas.DataFrame
        ``account_id``, ``network_id``, ``network_size``: one row per account, sorted by
        ``network_id`` then ``account_id``.

    Examples
    --------
    >>> links = pd.DataFrame({"account_a": ["a", "b"], "account_b": ["b", "c"],
    ...                       "weight": [1.0, 0.1]})
    >>> build_networks(links, pd.Series(["a", "b", "c"]))["network_size"].tolist()
    [2, 2, 1]
    """
    if threshold <= 0:
        raise ValueError(f"threshold must be > 0. Got {threshold!r} instead.")
    if max_network_size < 2:
        raise ValueError(f"max_network_size must be >= 2. Got {max_network_size!r} instead.")
    if split_step <= 1:
        raise ValueError(f"split_step must be > 1. Got {split_step!r} instead.")
    index = accounts if isinstance(accounts, AccountIndex) else AccountIndex(accounts)
    index_all = AccountIndex(pd.Series(index.ids), links["account_a"], links["account_b"])
    n = len(index_all)
    a, b, score = pair_scores(links, index_all)
    flagged = np.zeros(n, dtype=bool)
    if suspicious is not None:
        codes = index_all.codes(pd.Series(np.asarray(suspicious, dtype=object)))
        flagged[codes[codes >= 0]] = True
    protected = np.zeros(len(a), dtype=bool)
    if flagged.any():
        score, protected = _suspicious_pairs(links, index_all, a, b, score, flagged, threshold)
    all_a, all_b, all_score = a, b, score
    keep = score >= threshold
    a, b, score, protected = a[keep], b[keep], score[keep], protected[keep]
    label = _canonical(_components(n, a, b))
    level = threshold
    top = score.max() if len(score) else 0.0
    while True:
        size = np.bincount(label, minlength=n)[label]
        big = size > max_network_size
        if not big.any() or level > top:
            break
        level *= split_step
        # cut the big networks' weaker links; the others keep theirs
        inside = big[a] & (label[a] == label[b])
        drop = inside & (score < level) & ~protected
        a, b, score, protected = a[~drop], b[~drop], score[~drop], protected[~drop]
        label = _canonical(_components(n, a, b))
    if flagged.any():
        label = _attach(label, all_a, all_b, all_score, np.flatnonzero(flagged), threshold)
    if senders is not None and len(senders[0]):
        # one-off senders of a suspicious beneficiary leave their own network for its one
        member = index_all.codes(pd.Series(np.asarray(senders[0], dtype=object)))
        anchor = index_all.codes(pd.Series(np.asarray(senders[1], dtype=object)))
        ok = (member >= 0) & (anchor >= 0)
        label = label.copy()
        label[member[ok]] = label[anchor[ok]]
        label = _canonical(label)
    size = np.bincount(label, minlength=n)
    lead = np.unique(label)
    ids = pd.Series([_network_id(str(x)) for x in index_all.ids[lead]], index=lead)
    out = pd.DataFrame(
        {
            "account_id": pd.array(index_all.ids, dtype="string"),
            "network_id": pd.array(ids.reindex(label).to_numpy(), dtype="string"),
            "network_size": size[label].astype(np.int64),
        }
    )
    return out.sort_values(["network_id", "account_id"], kind="stable").reset_index(drop=True)
