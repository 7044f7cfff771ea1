"""The ``fintrak`` command line.

Exit codes: 0 success; 2 a problem the user can fix (bad input, bad option), with one message
naming the file, column, row and fix; 1 an internal error (a bug), with the traceback saved to a log
file rather than printed.
"""

from __future__ import annotations

import functools
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from fintrak import __version__
from fintrak.exceptions import FintrakError

app = typer.Typer(
    name="fintrak",
    help="Find human-trafficking activity in bank transaction data.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True, highlight=False)
out = Console(highlight=False)

F = TypeVar("F", bound=Callable[..., Any])


def _internal_error(exc: BaseException) -> None:
    log = Path(tempfile.gettempdir()) / f"fintrak-error-{int(time.time())}.log"
    log.write_text("".join(traceback.format_exception(exc)), encoding="utf-8")
    err.print(
        f"[bold red]internal error[/]: {exc.__class__.__name__}. This is a bug in fintrak, not in "
        f"your data.\n  The details are in {escape(str(log))}; please attach that file to a bug "
        "report."
    )


def user_errors(func: F) -> F:
    """Turn fintrak's errors into one message and exit 2; anything else into exit 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except typer.Exit:
            raise
        except FintrakError as exc:
            err.print("[bold red]error[/]: ", end="")
            err.print(str(exc), markup=False, soft_wrap=True)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            err.print("interrupted; no output file was left half-written")
            raise typer.Exit(130) from None
        except Exception as exc:  # noqa: BLE001 - the one place that catches everything
            _internal_error(exc)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


@contextmanager
def step(label: str, *, quiet: bool) -> Iterator[None]:
    """Show a spinner with elapsed time for a long step (nothing when ``quiet``)."""
    if quiet:
        yield
        return
    started = time.perf_counter()
    with err.status(f"{label}…"):
        yield
    err.print(f"[green]✓[/] {label} ({time.perf_counter() - started:.1f} s)")


def _version_callback(value: bool) -> None:
    if value:
        out.print(f"fintrak {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version_callback, is_eager=True, help="Show the version."
        ),
    ] = False,
) -> None:
    """Find human-trafficking activity in bank transaction data."""


def _print_validation_summary(manifest: dict[str, Any], out_dir: Path) -> None:
    table = Table(title=f"Validation ({escape(str(out_dir))})", title_justify="left")
    for column in ("table", "read", "accepted", "rejected", "fields nulled", "columns absent"):
        table.add_column(
            column,
            justify="right"
            if column in ("read", "accepted", "rejected", "fields nulled")
            else "left",
        )
    for name, stats in manifest["tables"].items():
        table.add_row(
            name,
            f"{stats['rows_read']:,}",
            f"{stats['rows_accepted']:,}",
            f"{stats['rows_rejected']:,}",
            f"{stats['fields_nulled']:,}",
            ", ".join(stats["columns_absent"]) or "-",
        )
    out.print(table)
    reasons = manifest["rejects_by_reason"]
    if reasons:
        top = sorted(reasons.items(), key=lambda kv: -kv[1])[:5]
        out.print("Most common reasons for rejection: " + "; ".join(f"{k} ({v:,})" for k, v in top))
        out.print(
            f"Every rejected row and its reasons: {out_dir / 'rejects.parquet'}", markup=False
        )
    if manifest["timestamps_assumed_tz"]:
        out.print(
            f"{manifest['timestamps_assumed_tz']:,} timestamps had no UTC offset and were read in "
            "the column map's assume_tz (see manifest.json)."
        )


def run_validation(
    *,
    transactions: Path,
    accounts: Path | None,
    intel: Path | None,
    labels: Path | None,
    column_map: Path | None,
    out_dir: Path,
    quiet: bool,
    observations: Path | None = None,
) -> dict[str, Any]:
    """Validate the inputs into ``out_dir`` (already prepared) and return the manifest."""
    from fintrak.validation import validate, write_validation

    with step("Reading and validating the input tables", quiet=quiet):
        result = validate(
            transactions,
            accounts,
            intel,
            labels,
            column_map=column_map,
            observations=observations,
        )
    with step("Writing the canonical tables, rejects and manifest", quiet=quiet):
        write_validation(result, out_dir)
    if not quiet:
        _print_validation_summary(result.manifest, out_dir)
    result.raise_if_unusable()
    return result.manifest


OutOption = Annotated[Path, typer.Option("--out", help="Output folder (the run folder).")]
OverwriteOption = Annotated[
    bool, typer.Option("--overwrite", help="Replace files in an existing output folder.")
]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="No progress or summary.")]
TransactionsOption = Annotated[
    Path, typer.Option("--transactions", help="Transactions file (.csv or .parquet).")
]
AccountsOption = Annotated[Path | None, typer.Option("--accounts", help="Accounts file.")]
IntelOption = Annotated[Path | None, typer.Option("--intel", help="Intelligence file.")]
ObservationsOption = Annotated[
    Path | None,
    typer.Option("--observations", help="Staff-observed behaviour codes file (optional)."),
]
ColumnMapOption = Annotated[
    Path | None, typer.Option("--column-map", help="YAML column map for other layouts.")
]


@app.command()
@user_errors
def validate(
    transactions: TransactionsOption,
    out_dir: OutOption,
    accounts: AccountsOption = None,
    intel: IntelOption = None,
    labels: Annotated[Path | None, typer.Option("--labels", help="Labels file.")] = None,
    observations: ObservationsOption = None,
    column_map: ColumnMapOption = None,
    overwrite: OverwriteOption = False,
    quiet: QuietOption = False,
) -> None:
    """Validate a bank's extract: canonical tables, rejects with reasons, and a manifest."""
    from fintrak.io.atomic import prepare_output_dir

    folder = prepare_output_dir(out_dir, overwrite=overwrite)
    run_validation(
        transactions=transactions,
        accounts=accounts,
        intel=intel,
        labels=labels,
        column_map=column_map,
        out_dir=folder,
        quiet=quiet,
        observations=observations,
    )


def _synth_config(**options: Any) -> Any:
    from pydantic import ValidationError

    from fintrak.exceptions import ConfigError
    from fintrak.synth import SynthConfig

    try:
        return SynthConfig(**{k: v for k, v in options.items() if v is not None})
    except ValidationError as exc:
        problems = "; ".join(
            f"--{'-'.join(str(p) for p in e['loc']).replace('_', '-')}: {e['msg']}"
            for e in exc.errors()
        )
        raise ConfigError(f"invalid generator option: {problems}") from None


def _write_synthetic_bank(config: Any, folder: Path, *, quiet: bool) -> dict[str, Path]:
    from fintrak.synth import generate, write_bank

    with step(
        f"Generating a synthetic bank ({config.n_accounts:,} accounts × {config.months} months, "
        f"seed {config.seed})",
        quiet=quiet,
    ):
        bank = generate(config)
    with step("Writing the synthetic bank", quiet=quiet):
        paths = write_bank(bank, folder)
    if not quiet:
        labels = bank.labels
        involved = int(labels["is_trafficking"].sum())
        out.print(
            f"{len(bank.transactions):,} transactions, {len(bank.accounts):,} accounts "
            f"({involved:,} involved in trafficking), {len(bank.intel):,} intelligence rows → "
            f"{folder}",
            markup=False,
        )
    return paths


@app.command()
@user_errors
def synth(
    out_dir: OutOption,
    accounts: Annotated[int, typer.Option("--accounts", help="Number of accounts.")] = 2000,
    months: Annotated[int, typer.Option("--months", help="Months of history.")] = 6,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 7,
    prevalence: Annotated[
        float | None,
        typer.Option("--prevalence", help="Share of accounts involved in trafficking."),
    ] = None,
    region: Annotated[
        str | None, typer.Option("--region", help="Region profile: us, ca, au or gb.")
    ] = None,
    hard_negative_share: Annotated[
        float | None,
        typer.Option("--hard-negative-share", help="Share of legitimate look-alike accounts."),
    ] = None,
    overwrite: OverwriteOption = False,
    quiet: QuietOption = False,
) -> None:
    """Write a synthetic bank (transactions, accounts, intel, labels) for demos and training."""
    from fintrak.io.atomic import prepare_output_dir

    config = _synth_config(
        n_accounts=accounts,
        months=months,
        seed=seed,
        prevalence=prevalence,
        region=region,
        hard_negative_share=hard_negative_share,
    )
    folder = prepare_output_dir(out_dir, overwrite=overwrite)
    _write_synthetic_bank(config, folder, quiet=quiet)


def _print_alert_summary(result: Any, out_dir: Path, top: int = 10) -> None:
    scores = result.scores
    n_alerts = int(scores["alert"].sum())
    out.print(
        f"\n[bold]{n_alerts:,} alerts[/] among {len(scores):,} accounts "
        f"(model {result.manifest['model_version']}, as of {result.manifest['as_of'][:10]})"
    )
    if result.manifest["features_skipped"]:
        skipped = "; ".join(f"{k}: {v}" for k, v in result.manifest["features_skipped"].items())
        out.print(f"[yellow]Not computed[/] (missing data): {skipped}")
    table = Table(
        title=f"Top alerts ({escape(str(out_dir / 'alerts.jsonl'))})", title_justify="left"
    )
    for column in ("account", "score", "typology", "role", "top reasons"):
        table.add_column(column, overflow="fold")
    for alert in result.alerts.head(top).itertuples():
        reasons = "; ".join(r["text"] for r in alert.reasons[:3])
        table.add_row(
            str(alert.account_id),
            f"{alert.score:.3f}",
            alert.typology or "-",
            alert.role_hypothesis,
            reasons,
        )
    out.print(table)
    cases = getattr(result, "cases", [])
    if cases:
        members = sum(len(c["members"]) for c in cases)
        out.print(
            f"{len(cases):,} cases (one per suspicious network, {members:,} accounts): "
            f"{escape(str(out_dir / 'cases.jsonl'))}; networks and roles: "
            f"{escape(str(out_dir / 'networks.parquet'))}; establishments by exposure: "
            f"{escape(str(out_dir / 'establishments.parquet'))}"
        )
    drift = result.manifest.get("drift", {})
    if drift.get("shifted_features"):
        out.print(
            f"[yellow]Population shift[/]: {len(drift['shifted_features'])} of the model's main "
            f"features moved away from its training data (PSI above {drift['warning_above']}: "
            f"{escape(', '.join(drift['shifted_features']))}). Check the extract, then backtest "
            "before trusting the ranking (docs/model-governance.md)."
        )
    held = getattr(result, "held_back", None)
    if held is not None and len(held):
        counts = held["held_by"].value_counts()
        out.print(
            f"{len(held):,} accounts reached the threshold but raised no alert "
            f"({int(counts.get('suppression', 0)):,} on the suppression list, "
            f"{int(counts.get('history', 0)):,} repeats of recent alerts): "
            f"{escape(str(out_dir / 'held_back.parquet'))}"
        )


def run_scoring(
    *,
    transactions: Path,
    accounts: Path | None,
    intel: Path | None,
    column_map: Path | None,
    model: Path | None,
    as_of: str | None,
    out_dir: Path,
    quiet: bool,
    observations: Path | None = None,
    suppress: Path | None = None,
    history: Path | None = None,
) -> Any:
    """Validate, score and write every output into ``out_dir``; return the ScoreResult."""
    from fintrak.alerting import read_history, read_suppression, update_history, write_history
    from fintrak.features.builder import build_features
    from fintrak.io.atomic import write_json_atomic
    from fintrak.pipeline import score_tables, write_scores
    from fintrak.scoring.model import load_model
    from fintrak.validation import validate, write_validation

    with step("Reading and validating the input tables", quiet=quiet):
        validated = validate(
            transactions, accounts, intel, column_map=column_map, observations=observations
        )
    with step("Writing the canonical tables, rejects and manifest", quiet=quiet):
        write_validation(validated, out_dir)
    if not quiet:
        _print_validation_summary(validated.manifest, out_dir)
    validated.raise_if_unusable()
    suppression = read_suppression(suppress) if suppress is not None else None
    past = read_history(history) if history is not None else None
    bundle = load_model(model)
    tables = validated.tables
    with step("Computing typology features", quiet=quiet):
        features = build_features(
            tables["transactions"],
            tables.get("accounts"),
            tables.get("intel"),
            as_of=as_of,
            observations=tables.get("observations"),
        )
    with step("Scoring (rules, model) and explaining alerts", quiet=quiet):
        result = score_tables(
            tables, model=bundle, features=features, suppression=suppression, history=past
        )
    with step("Writing scores, alerts and explanations", quiet=quiet):
        written = write_scores(result, out_dir)
        manifest = validated.manifest
        manifest["scoring"] = result.manifest
        manifest["outputs"] = sorted(set(manifest["outputs"]) | {p.name for p in written.values()})
        write_json_atomic(out_dir / "manifest.json", manifest)
    if history is not None:
        with step("Adding tonight's alerts to the alert history", quiet=quiet):
            intel = result.scores.set_index(result.scores["account_id"].astype(str))
            updated = update_history(
                past, result.alerts, intel["intel_matches"], result.manifest["as_of"]
            )
            write_history(updated, history)
    if not quiet:
        _print_alert_summary(result, out_dir)
    return result


@app.command()
@user_errors
def score(
    transactions: TransactionsOption,
    out_dir: OutOption,
    accounts: AccountsOption = None,
    intel: IntelOption = None,
    observations: ObservationsOption = None,
    model: Annotated[
        Path | None, typer.Option("--model", help="Model folder (default: the shipped model).")
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="YYYY-MM-DD: score as of the end of that day (UTC)."),
    ] = None,
    column_map: ColumnMapOption = None,
    suppress: Annotated[
        Path | None,
        typer.Option(
            "--suppress",
            help="Suppression list (.csv/.parquet: account_id, reason[, expires]): scored, never "
            "alerted, reported in held_back.parquet.",
        ),
    ] = None,
    history: Annotated[
        Path | None,
        typer.Option(
            "--history",
            help="Alert history (.parquet, created if missing): no repeat alert for an account "
            "and typology within 90 days unless its risk rose materially; tonight's alerts are "
            "added to it.",
        ),
    ] = None,
    overwrite: OverwriteOption = False,
    quiet: QuietOption = False,
) -> None:
    """Score accounts: scores.parquet, alerts.jsonl with explanations, and validation outputs."""
    from fintrak.io.atomic import prepare_output_dir

    _check_as_of(as_of)
    folder = prepare_output_dir(out_dir, overwrite=overwrite)
    run_scoring(
        transactions=transactions,
        accounts=accounts,
        intel=intel,
        column_map=column_map,
        model=model,
        as_of=as_of,
        out_dir=folder,
        quiet=quiet,
        observations=observations,
        suppress=suppress,
        history=history,
    )


def _check_as_of(as_of: str | None) -> None:
    from datetime import date

    from fintrak.exceptions import ConfigError

    if as_of is None:
        return
    try:
        date.fromisoformat(as_of)
    except ValueError:
        raise ConfigError(
            f"--as-of must be a date written YYYY-MM-DD. Got {as_of!r} instead."
        ) from None


@app.command()
@user_errors
def train(
    transactions: TransactionsOption,
    out_dir: OutOption,
    labels: Annotated[
        Path | None,
        typer.Option("--labels", help="Labels file (account_id, is_trafficking, ...)."),
    ] = None,
    dispositions: Annotated[
        Path | None,
        typer.Option(
            "--dispositions",
            help="Investigators' dispositions instead of labels (account_id, outcome, "
            "decided_at): each account's latest conclusive decision is its label.",
        ),
    ] = None,
    accounts: AccountsOption = None,
    intel: IntelOption = None,
    observations: ObservationsOption = None,
    column_map: ColumnMapOption = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="YYYY-MM-DD: features as of that day.")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 0,
    overwrite: OverwriteOption = False,
    quiet: QuietOption = False,
) -> None:
    """Train a model folder (LightGBM text model, model card, threshold) from labelled data."""
    from fintrak.alerting import labels_from_dispositions, read_dispositions
    from fintrak.io.atomic import prepare_output_dir
    from fintrak.io.readers import file_sha256
    from fintrak.scoring.model import save_model
    from fintrak.training import LabelledData, train_model
    from fintrak.validation import validate

    _check_as_of(as_of)
    if (labels is None) == (dispositions is None):
        raise FintrakError(
            "fintrak train needs exactly one of --labels and --dispositions\n"
            "  fix: pass a labels file, or investigators' dispositions, not both"
        )
    decided = read_dispositions(dispositions) if dispositions is not None else None
    folder = prepare_output_dir(out_dir, overwrite=overwrite)
    with step("Reading and validating the input tables", quiet=quiet):
        validated = validate(
            transactions, accounts, intel, labels, column_map=column_map, observations=observations
        )
    validated.raise_if_unusable()
    label_table = (
        labels_from_dispositions(decided) if decided is not None else validated.tables["labels"]
    )
    with step("Computing typology features", quiet=quiet):
        data = LabelledData.from_tables(validated.tables, label_table, as_of=as_of)
    description = {
        "transactions": str(transactions),
        "labels": str(labels) if labels is not None else None,
        "dispositions": str(dispositions) if dispositions is not None else None,
        "input_sha256": {i["table"]: i["sha256"] for i in validated.manifest["inputs"]},
    }
    if dispositions is not None:
        description["input_sha256"]["dispositions"] = file_sha256(dispositions)
    with step("Training and comparing class-balance strategies", quiet=quiet):
        bundle = train_model(data, seed=seed, description=description)
    save_model(bundle, folder)
    if not quiet:
        card = bundle.card
        metrics = card["metrics_held_out"]
        out.print(
            f"Model {bundle.version} → {folder}\n"
            f"class balance: {card['class_balance']['winner']} "
            f"({card['class_balance']['candidates_average_precision']}); "
            f"held-out average precision: combined {metrics['combined']['average_precision']}, "
            f"model {metrics['model']['average_precision']}, rules "
            f"{metrics['rules']['average_precision']}; alert threshold "
            f"{bundle.config['alert_threshold']:.3f}"
        )


@app.command()
@user_errors
def demo(
    out_dir: Annotated[
        Path, typer.Option("--out", help="Output folder for the demo bank and run.")
    ] = Path("fintrak-demo"),
    accounts: Annotated[int, typer.Option("--accounts", help="Number of accounts.")] = 3000,
    months: Annotated[int, typer.Option("--months", help="Months of history.")] = 6,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 7,
    overwrite: OverwriteOption = False,
    quiet: QuietOption = False,
) -> None:
    """Run the whole job on built-in synthetic data: generate a bank, then score it."""
    from fintrak.io.atomic import prepare_output_dir

    config = _synth_config(n_accounts=accounts, months=months, seed=seed)
    folder = prepare_output_dir(out_dir, overwrite=overwrite)
    bank_dir = prepare_output_dir(folder / "bank", overwrite=True)
    run_dir = prepare_output_dir(folder / "run", overwrite=True)
    paths = _write_synthetic_bank(config, bank_dir, quiet=quiet)
    run_scoring(
        transactions=paths["transactions"],
        accounts=paths["accounts"],
        intel=paths["intel"],
        column_map=None,
        model=None,
        as_of=None,
        out_dir=run_dir,
        quiet=quiet,
        observations=paths.get("observations"),
    )
    if not quiet:
        out.print(f"\nSynthetic bank: {bank_dir}   Scored run: {run_dir}", markup=False)


@app.command("export")
@user_errors
def export(
    run_dir: Annotated[
        Path,
        typer.Option(
            "--run", help="Run folder holding alerts.jsonl and cases.jsonl (score's --out)."
        ),
    ],
    fmt: Annotated[str, typer.Option("--format", help="Output format: csv.")] = "csv",
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace existing alerts.csv and cases.csv.")
    ] = False,
    quiet: QuietOption = False,
) -> None:
    """Write alerts.csv and cases.csv beside a run's alerts.jsonl and cases.jsonl."""
    from fintrak.export import export_run

    written = export_run(run_dir, fmt=fmt, overwrite=overwrite)
    if not quiet:
        out.print(
            "Flat copies for spreadsheets and case systems: "
            + ", ".join(str(p) for p in written.values()),
            markup=False,
        )


RunOption = Annotated[
    Path, typer.Option("--run", help="A scoring run folder (score's or demo's --out).")
]


@app.command("report")
@user_errors
def report(
    run_dir: RunOption,
    out_dir: OutOption,
    sar_xml: Annotated[
        bool,
        typer.Option(
            "--sar-xml",
            help="Write a draft FinCEN SAR batch (sar-batch.xml) for the cases given with "
            "--cases, instead of the pages.",
        ),
    ] = False,
    cases: Annotated[
        str | None,
        typer.Option("--cases", help="With --sar-xml: case ids a human chose, comma-separated."),
    ] = None,
    filer: Annotated[
        Path | None,
        typer.Option(
            "--filer",
            help="With --sar-xml: filer.yaml with the filing institution's details "
            "(see docs/sar-xml.md).",
        ),
    ] = None,
    overwrite: OverwriteOption = False,
    quiet: QuietOption = False,
) -> None:
    """Investigator pages (HTML, offline) and SAR narrative drafts for a run; or a SAR XML draft.

    Without --sar-xml: index.html, one page per alert and per case, and narratives/<case>.md and
    .txt. With --sar-xml --cases ID,... --filer filer.yaml: sar-batch.xml and the narratives of
    those cases. Everything is a draft for a human; nothing is filed.
    """
    from fintrak.io.atomic import prepare_output_dir
    from fintrak.report import (
        build_sar_batch,
        load_filer,
        narratives_for_run,
        write_narratives,
        write_report,
        write_sar_batch,
    )
    from fintrak.report.sar_xml import read_case_inputs

    if sar_xml:
        if not cases or filer is None:
            raise FintrakError(
                "--sar-xml needs --cases (the case ids a human chose) and --filer (filer.yaml)\n"
                "  fix: fintrak report --run RUN --out DIR --sar-xml --cases case-...,case-... "
                "--filer filer.yaml"
            )
        chosen = [c.strip() for c in cases.split(",") if c.strip()]
        with step("Drafting the SAR batch", quiet=quiet):
            filer_config = load_filer(filer)
            inputs = read_case_inputs(run_dir, chosen)
            batch = build_sar_batch(
                inputs.cases, inputs.alerts, inputs.transactions, inputs.accounts, filer_config
            )
            folder = Path(out_dir)
            path = write_sar_batch(batch, folder / "sar-batch.xml", overwrite=overwrite)
            write_narratives(
                inputs.cases, inputs.alerts, inputs.transactions, inputs.accounts, folder
            )
        if not quiet:
            out.print(f"Draft SAR batch ({len(batch.cases)} cases): {escape(str(path))}")
            for warning in batch.warnings:
                out.print(f"[yellow]check[/]: {escape(warning)}")
            out.print(
                "A draft for the compliance officer: review every field, then file through "
                "BSA E-Filing. It must not reveal to anyone outside the investigation that a SAR "
                "is being considered."
            )
        return
    if cases or filer is not None:
        raise FintrakError(
            "--cases and --filer belong to --sar-xml\n"
            "  fix: add --sar-xml, or leave them out to write the pages"
        )
    folder = prepare_output_dir(out_dir, overwrite=overwrite)
    with step("Writing the alert and case pages", quiet=quiet):
        result = write_report(run_dir, folder, overwrite=True)
    with step("Drafting SAR narratives for every case", quiet=quiet):
        written = narratives_for_run(run_dir, folder)
    if not quiet:
        out.print(
            f"{result.n_alerts:,} alert pages and {result.n_cases:,} case pages: open "
            f"{escape(str(result.index))} (offline, self-contained); "
            f"{len(written) // 2:,} SAR narrative drafts in {escape(str(folder / 'narratives'))}"
        )


@app.command("backtest")
@user_errors
def backtest_command(
    scores: Annotated[Path, typer.Option("--scores", help="A run's scores.parquet.")],
    out_dir: OutOption,
    labels: Annotated[
        Path | None,
        typer.Option("--labels", help="Labels: account_id, is_trafficking[, typology, role]."),
    ] = None,
    dispositions: Annotated[
        Path | None,
        typer.Option(
            "--dispositions",
            help="Investigators' dispositions instead of labels (docs/model-governance.md).",
        ),
    ] = None,
    budget: Annotated[
        list[int] | None,
        typer.Option("--budget", help="Alert budget (repeat for several; default 50 100 250 500)."),
    ] = None,
    overwrite: OverwriteOption = False,
    quiet: QuietOption = False,
) -> None:
    """Precision-recall, average precision and precision/recall at alert budgets, per typology."""
    from fintrak.alerting import labels_from_dispositions, read_dispositions
    from fintrak.backtest import backtest, backtest_files, write_backtest
    from fintrak.backtest.report import DEFAULT_BUDGETS

    if (labels is None) == (dispositions is None):
        raise FintrakError(
            "fintrak backtest needs exactly one of --labels and --dispositions\n"
            "  fix: pass a labels file, or investigators' dispositions"
        )
    if labels is not None:
        result = backtest_files(scores, labels, out_dir, budgets=budget, overwrite=overwrite)
    else:
        table = labels_from_dispositions(read_dispositions(dispositions))
        result = backtest(scores, table, budgets=tuple(budget or DEFAULT_BUDGETS))
        write_backtest(result, out_dir, overwrite=overwrite)
    if not quiet:
        columns = result.summary["columns"]
        names = {"rule_score": "rules", "model_score": "model", "score": "combined"}
        aps = "; ".join(
            f"{label} {columns[name]['average_precision']:.3f}"
            for name, label in names.items()
            if name in columns
        )
        out.print(
            f"Backtest of {escape(str(scores))}: average precision {aps}\n"
            f"summary.json and backtest.html in {escape(str(out_dir))}"
        )


@app.command("threshold")
@user_errors
def threshold_command(
    scores: Annotated[Path, typer.Option("--scores", help="A run's scores.parquet.")],
    budget: Annotated[
        int | None,
        typer.Option("--budget", help="Alerts the team can review per run (no labels needed)."),
    ] = None,
    target_precision: Annotated[
        float | None,
        typer.Option("--target-precision", help="Lowest acceptable precision (needs --labels)."),
    ] = None,
    labels: Annotated[
        Path | None, typer.Option("--labels", help="Labels, for expected precision and recall.")
    ] = None,
    model: Annotated[
        Path | None,
        typer.Option(
            "--model",
            help="Model folder whose config.json receives the threshold and how it was chosen "
            "(without it, the choice is only printed).",
        ),
    ] = None,
    quiet: QuietOption = False,
) -> None:
    """Choose the alert threshold from an alert budget or a target precision."""
    from fintrak.backtest import choose_threshold, write_threshold

    choice = choose_threshold(
        scores, budget=budget, target_precision=target_precision, labels=labels
    )
    written = write_threshold(model, choice) if model is not None else None
    if not quiet:
        facts = choice.to_dict()
        out.print(
            "\n".join(f"{k}: {v}" for k, v in facts.items() if v is not None)
            + (f"\nwritten to {escape(str(written))}" if written else "")
        )


@app.command("sample")
@user_errors
def sample_command(
    scores: Annotated[Path, typer.Option("--scores", help="A run's scores.parquet.")],
    threshold: Annotated[float, typer.Option("--threshold", help="The alert threshold.")],
    size: Annotated[int, typer.Option("--size", help="Accounts to sample.")],
    sample_file: Annotated[
        Path, typer.Option("--out", help="Sample file (.csv); its design goes beside it (.json).")
    ],
    seed: Annotated[int, typer.Option("--seed", help="Seed of the draw.")] = 0,
    width: Annotated[
        float, typer.Option("--width", help="Band [threshold x (1 - width), threshold).")
    ] = 0.2,
    strata: Annotated[str, typer.Option("--strata", help="typology, decile or none.")] = "typology",
    overwrite: OverwriteOption = False,
    quiet: QuietOption = False,
) -> None:
    """Draw a stratified below-the-line sample for quality assurance, with its design."""
    from fintrak.backtest import below_the_line_sample
    from fintrak.io.atomic import atomic_path, check_output_file, write_json_atomic

    design_path = sample_file.with_suffix(".json")
    for path in (sample_file, design_path):
        check_output_file(path, overwrite=overwrite)
    drawn = below_the_line_sample(
        scores,
        threshold,
        size=size,
        seed=seed,
        width=width,
        strata=None if strata == "none" else strata,
    )
    with atomic_path(sample_file) as tmp:
        drawn.sample.to_csv(tmp, index=False)
    write_json_atomic(design_path, drawn.design)
    if not quiet:
        out.print(
            f"{len(drawn.sample):,} accounts below the line: {escape(str(sample_file))}; design: "
            f"{escape(str(design_path))}"
        )


share_app = typer.Typer(
    name="share",
    help="Share identifiers with other institutions as keyed hashes (HMAC-SHA256), and match "
    "their lists. The key comes from FINTRAK_SHARE_KEY or --key-file, never the command line.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(share_app, name="share")

ShareAccountsOption = Annotated[
    Path, typer.Option("--accounts", help="Our accounts file (.csv or .parquet).")
]
ShareTransactionsOption = Annotated[
    Path | None,
    typer.Option("--transactions", help="Our transactions file, for device ids (optional)."),
]
ShareOutOption = Annotated[
    Path, typer.Option("--out", help="Output file: .parquet or .csv (written atomically).")
]
KeyFileOption = Annotated[
    Path | None,
    typer.Option(
        "--key-file",
        help="File holding the shared key (default: the FINTRAK_SHARE_KEY environment variable). "
        "The key itself is never accepted on the command line.",
    ),
]
OverwriteFileOption = Annotated[
    bool, typer.Option("--overwrite", help="Replace an existing output file.")
]


def _share_identifiers(
    accounts: Path, transactions: Path | None, column_map: Path | None, *, quiet: bool
) -> Any:
    from fintrak.identifiers import account_identifiers
    from fintrak.share import read_accounts

    with step("Reading and validating our accounts", quiet=quiet):
        kyc, txns, manifest = read_accounts(
            accounts, transactions=transactions, column_map=column_map
        )
    stats = manifest["tables"]["accounts"]
    if stats["rows_rejected"] and not quiet:
        out.print(
            f"{stats['rows_rejected']:,} of {stats['rows_read']:,} account rows were rejected "
            "(run `fintrak validate` for each row's reasons)"
        )
    with step("Normalising phones, e-mails, addresses and devices", quiet=quiet):
        return account_identifiers(kyc, txns)


@share_app.command("export")
@user_errors
def share_export(
    accounts: ShareAccountsOption,
    out_file: ShareOutOption,
    transactions: ShareTransactionsOption = None,
    column_map: ColumnMapOption = None,
    key_file: KeyFileOption = None,
    include_account_id: Annotated[
        bool,
        typer.Option(
            "--include-account-id",
            help="Also write our account ids (the file leaves the bank: only when agreed).",
        ),
    ] = False,
    overwrite: OverwriteFileOption = False,
    quiet: QuietOption = False,
) -> None:
    """Write our normalised identifiers as kind + HMAC-SHA256, to share with another party."""
    from fintrak.share import check_output, export_hashes, load_key, write_table

    key = load_key(key_file)
    check_output(out_file, overwrite=overwrite)
    identifiers = _share_identifiers(accounts, transactions, column_map, quiet=quiet)
    table = export_hashes(identifiers, key, include_account_id=include_account_id)
    written = write_table(out_file, table, overwrite=overwrite)
    if not quiet:
        per_kind = table.groupby("kind").size()
        counts = ", ".join(f"{kind} {n:,}" for kind, n in per_kind.items()) or "none"
        out.print(
            f"{len(table):,} hashed identifiers ({counts}) → {written}"
            + (" (with account ids)" if include_account_id else ""),
            markup=False,
        )


@share_app.command("match")
@user_errors
def share_match(
    theirs: Annotated[
        Path,
        typer.Option("--theirs", help="The other party's hashed list (from `share export`)."),
    ],
    accounts: ShareAccountsOption,
    out_file: ShareOutOption,
    transactions: ShareTransactionsOption = None,
    column_map: ColumnMapOption = None,
    key_file: KeyFileOption = None,
    overwrite: OverwriteFileOption = False,
    quiet: QuietOption = False,
) -> None:
    """Write our accounts whose identifiers are on another party's hashed list."""
    from fintrak.share import check_output, load_key, match_hashes, read_shared, write_table

    key = load_key(key_file)
    check_output(out_file, overwrite=overwrite)
    listed = read_shared(theirs)
    identifiers = _share_identifiers(accounts, transactions, column_map, quiet=quiet)
    matches = match_hashes(identifiers, listed, key)
    written = write_table(out_file, matches, overwrite=overwrite)
    if not quiet:
        out.print(
            f"{matches['account_id'].nunique():,} of our accounts match {len(listed):,} listed "
            f"identifiers → {written}",
            markup=False,
        )
        if len(matches) == 0:
            out.print(
                "No match. If one was expected, check that both parties used the same key and "
                "the same fintrak version (normalisation)."
            )


def main() -> None:
    """Entry point of the ``fintrak`` console script."""
    try:
        app()
    except SystemExit:
        raise
    except Exception as exc:  # noqa: BLE001 - last resort: never show a traceback
        _internal_error(exc)
        sys.exit(1)
