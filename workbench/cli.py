"""The `workbench` command: load, analyze, summary, query, tag, export and app.

Every error a user can cause ends with one sentence on stderr and a non-zero exit status.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from workbench.errors import WorkbenchError
from workbench.schema import DEFAULT_MAX_FIELD_CHARS

DEFAULT_WORKSPACE = ".workspace"
REPO_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DATA = REPO_ROOT / "sample_data" / "preferences.jsonl"


def _key_values(items: list[str], option: str) -> dict[str, str]:
    values = {}
    for item in items or []:
        if "=" not in item:
            raise WorkbenchError(f"{option} takes KEY=VALUE, got '{item}'.")
        key, value = item.split("=", 1)
        values[key.strip()] = value
    return values


def _progress_printer(label: str):
    if not sys.stderr.isatty() and os.environ.get("WORKBENCH_PROGRESS") != "1":
        return None

    def report(done: int, total: int | None = None, message: str = "") -> None:
        if total:
            width = 30
            filled = int(width * done / total) if total else 0
            sys.stderr.write(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,} {message[:30]:30}")
        else:
            sys.stderr.write(f"\r{label} {done:,} rows")
        sys.stderr.flush()

    return report


def cmd_load(args) -> int:
    from workbench.api import Workspace

    with Workspace(args.workspace) as ws:
        progress = _progress_printer("loading")
        report = ws.load(args.path, format=args.format, column_map=_key_values(args.map, "--map"), on_error=args.on_error,
                         replace=args.replace, source=args.source, max_field_chars=args.max_field_chars, progress=progress)
        if progress:
            sys.stderr.write("\n")
    print(report.describe())
    return 0


def cmd_analyze(args) -> int:
    from workbench.jobs import analyze
    from workbench.workspace import WorkspaceStore

    store = WorkspaceStore(args.workspace)
    try:
        progress = _progress_printer(args.name)
        info, cached = analyze(store, args.name, _key_values(args.set, "--set"), progress)
        if progress:
            sys.stderr.write("\n")
    finally:
        store.close()
    verb = "Reused the stored run" if cached else "Finished run"
    print(f"{verb} {info.run_id} of '{args.name}' on {info.n_pairs:,} pairs.")
    print(json.dumps(info.summary, indent=1, default=str))
    return 0


def cmd_summary(args) -> int:
    from workbench.api import Workspace

    with Workspace(args.workspace, read_only=True) as ws:
        summary = ws.summary()
    if args.json:
        print(json.dumps(summary, indent=1, default=str))
        return 0
    print(f"{summary['pairs']:,} pairs, {summary['ties']:,} ties, {summary['identical_responses']:,} identical responses, "
          f"{summary['duplicate_pairs']:,} duplicate pairs")
    for dataset in summary["datasets"]:
        print(f"  dataset {dataset['name']}: {dataset['pairs']:,} pairs ({dataset['format']}) from {dataset['path']}")
    print("By source: " + ", ".join(f"{k} {v:,}" for k, v in summary["by_source"].items()))
    if summary["longer_wins_share_chars"] is not None:
        print(f"Longer response (characters) preferred in {summary['longer_wins_share_chars']:.1%} of decided pairs")
    for name, run in summary["analyzers"].items():
        stale = " (stale: the pairs changed since)" if run["stale"] else ""
        print(f"Analyzer {name} run {run['run_id']}{stale}: {json.dumps(run['summary'], default=str)}")
    return 0


def _spec(args):
    from workbench.api import make_spec

    return make_spec(args.filter, args.where)


def cmd_query(args) -> int:
    from workbench import query
    from workbench.workspace import WorkspaceStore

    store = WorkspaceStore(args.workspace, read_only=True)
    try:
        spec = _spec(args)
        columns = args.columns.split(",") if args.columns else ["pair_id", "source", "label", "prompt", "chosen", "rejected"]
        frame = query.page(store, spec, columns=columns, order_by=args.order_by, descending=args.desc, limit=args.limit,
                           offset=args.offset)
        total = query.count(store, spec)
    finally:
        store.close()
    if args.json:
        print(frame.to_json(orient="records", force_ascii=False))
    else:
        import pandas as pd

        with pd.option_context("display.max_colwidth", 60, "display.width", 200):
            print(frame.to_string(index=False))
        print(f"({len(frame)} of {total:,} matching pairs)")
    return 0


def cmd_tag(args) -> int:
    from workbench.api import Workspace

    with Workspace(args.workspace) as ws:
        tag = None if args.tag == "none" else args.tag
        count = ws.tag(tag, filters=args.filter, where=args.where, note=args.note)
    print(f"Tagged {count:,} pairs '{args.tag}'.")
    return 0


def cmd_export(args) -> int:
    from workbench.api import Workspace

    with Workspace(args.workspace, read_only=True) as ws:
        report = ws.export(args.out, filters=args.filter, where=args.where, format=args.format,
                           with_scores=args.with_scores)
    print(report.describe())
    return 0


def cmd_app(args) -> int:
    app = REPO_ROOT / "app.py"
    if not app.exists():
        raise WorkbenchError(f"Cannot find the app entry script at {app}; run from a checkout of the project.")
    if args.sample:
        from workbench.api import Workspace

        with Workspace(args.workspace) as ws:
            if ws.store.n_pairs() == 0:
                print(ws.load(str(SAMPLE_DATA)).describe())
    command = [sys.executable, "-m", "streamlit", "run", str(app), "--server.address", args.address,
               "--server.port", str(args.port), "--server.headless", "true", "--browser.gatherUsageStats", "false",
               "--", "--workspace", str(Path(args.workspace).resolve())]
    print(f"Preference Workbench on http://{args.address}:{args.port} (workspace {args.workspace}); Ctrl+C stops it.")
    return subprocess.call(command)


def cmd_list(args) -> int:
    from analyzers import analyzer_names, get_analyzer
    from workbench.formats import registry

    print("Formats:")
    for name, adapter in sorted(registry().items()):
        print(f"  {name:16} {adapter.description}")
    print("Analyzers:")
    for name in analyzer_names():
        analyzer = get_analyzer(name)
        defaults = analyzer.settings_dict(analyzer.default_settings())
        print(f"  {name:16} {analyzer.description}")
        print(f"  {'':16} settings: {', '.join(f'{k}={v}' for k, v in defaults.items())}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="workbench", description="Preference Workbench: audit, filter and export preference datasets.")
    sub = parser.add_subparsers(dest="command", required=True)

    def with_workspace(p):
        p.add_argument("--workspace", default=os.environ.get("WORKBENCH_WORKSPACE", DEFAULT_WORKSPACE),
                       help="workspace folder (default: .workspace or $WORKBENCH_WORKSPACE)")
        return p

    def with_filters(p):
        p.add_argument("--filter", action="append", default=[], metavar="'COLUMN OP VALUE'",
                       help="structured filter, repeatable (ANDed), e.g. 'basic.length_delta_words > 10'")
        p.add_argument("--where", help="SQL condition over the pairs and results (read-only)")
        return p

    p = with_workspace(sub.add_parser("load", help="load a dataset file, folder or hub id into the workspace"))
    p.add_argument("path")
    p.add_argument("--format", help="input format (default: detected); see `workbench list`")
    p.add_argument("--map", action="append", default=[], metavar="FIELD=COLUMN", help="read FIELD (prompt, chosen, ...) from COLUMN")
    p.add_argument("--on-error", choices=["fail", "skip"], default="fail",
                   help="fail on the first malformed row (default), or skip such rows into a rejects file")
    p.add_argument("--replace", action="store_true", help="empty the workspace first")
    p.add_argument("--source", help="source name for rows without one (default: the file name)")
    p.add_argument("--max-field-chars", type=int, default=DEFAULT_MAX_FIELD_CHARS,
                   help=f"longest prompt or response accepted, in characters (default {DEFAULT_MAX_FIELD_CHARS:,})")
    p.set_defaults(func=cmd_load)

    p = with_workspace(sub.add_parser("analyze", help="run an analyzer over every pair"))
    p.add_argument("name")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="analyzer setting, repeatable")
    p.set_defaults(func=cmd_analyze)

    p = with_workspace(sub.add_parser("summary", help="dataset statistics and every analyzer run's summary"))
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_summary)

    p = with_filters(with_workspace(sub.add_parser("query", help="print a page of the filtered pairs")))
    p.add_argument("--columns", help="comma-separated columns (default: id, source, label, texts)")
    p.add_argument("--order-by")
    p.add_argument("--desc", action="store_true")
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--offset", type=int, default=0)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_query)

    p = with_filters(with_workspace(sub.add_parser("tag", help="tag the filtered pairs keep / drop / flag (or none)")))
    p.add_argument("tag", choices=["keep", "drop", "flag", "none"])
    p.add_argument("--note", default="")
    p.set_defaults(func=cmd_tag)

    p = with_filters(with_workspace(sub.add_parser("export", help="write the filtered pairs with a manifest")))
    p.add_argument("out", help="output file: .jsonl, .jsonl.gz, .json, .csv or .parquet")
    p.add_argument("--format", choices=["original", "trl", "annotated-pairs"], default="original")
    p.add_argument("--with-scores", action="store_true", help="add the active analyzers' columns")
    p.set_defaults(func=cmd_export)

    p = with_workspace(sub.add_parser("app", help="start the browser app"))
    p.add_argument("--port", type=int, default=8501)
    p.add_argument("--address", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    p.add_argument("--sample", action="store_true", help="load the bundled sample data when the workspace is empty")
    p.set_defaults(func=cmd_app)

    p = sub.add_parser("list", help="list input formats and analyzers with their settings")
    p.set_defaults(func=cmd_list)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except WorkbenchError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
