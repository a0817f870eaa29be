"""Widgets of the Export page: the shared filters with kept / removed counts, the output options, and
the report with its manifest and a download button."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from workbench import query
from workbench.errors import WorkbenchError
from workbench.filters import FilterSpec
from workbench.ui import state
from workbench.ui.filters import filter_chips, spec_json

if TYPE_CHECKING:
    from workbench.workspace import WorkspaceStore

LAST_EXPORT_KEY = "wb.export.last"
DOWNLOAD_LIMIT_BYTES = 50 * 1024 * 1024
DROP_TAGGED_WHERE = "(tag IS NULL OR tag <> 'drop')"
FORMAT_HELP = {
    "original": "The input's own format, rows exactly as read (needs all kept pairs to come from one format).",
    "trl": "TRL preference rows: prompt / chosen / rejected as strings, or message lists for conversational pairs.",
    "annotated-pairs": "One Feedback Forensics AnnotatedPairs JSON document.",
}


@dataclass
class ExportChoices:
    path: str
    format: str
    with_scores: bool
    overwrite: bool


def export_spec(store: "WorkspaceStore", spec: FilterSpec) -> FilterSpec:
    """Show the Explore filters and return the spec to export (optionally leaving out pairs tagged drop)."""
    st.markdown("**Filters** (set on the Explore page)")
    filter_chips(spec, removable=False)
    st.page_link("pages/explore.py", label="Change the filters in Explore", icon=":material/filter_alt:")
    dropped = int(store.scalar("SELECT count(*) FROM tags WHERE tag = 'drop'") or 0)
    if dropped:
        leave_out = st.checkbox(f"Leave out the {dropped:,} pairs tagged drop", value=True,
                                key="wb.export.leave_out_dropped",
                                help=f"Adds the condition {DROP_TAGGED_WHERE} to the WHERE clause (recorded in the manifest).")
        if leave_out:
            where = f"({spec.where}) AND {DROP_TAGGED_WHERE}" if spec.where and spec.where.strip() else DROP_TAGGED_WHERE
            spec = FilterSpec(list(spec.filters), where)
    with st.expander("The filter spec as recorded in the manifest"):
        st.code(spec_json(spec), language="json")
    return spec


def counts(store: "WorkspaceStore", spec: FilterSpec) -> tuple[int, int] | None:

    total = store.n_pairs()
    try:
        kept = query.count(store, spec)
    except WorkbenchError as error:
        st.error(f"The filters cannot be applied: {error}", icon=":material/error:")
        return None
    row = st.columns(3)
    row[0].metric("Kept", f"{kept:,}", help="Pairs that pass the filters: the rows the export writes.", border=True)
    row[1].metric("Removed", f"{total - kept:,}", help="Pairs the filters leave out.", border=True)
    row[2].metric("Kept share", f"{kept / total:.1%}" if total else "—", help="Kept pairs / all pairs in the workspace.",
                  border=True)
    return kept, total


def default_path(store: "WorkspaceStore", format: str) -> str:
    datasets = store.datasets()
    names = datasets["name"].tolist()
    stem = names[0] if len(names) == 1 else "pairs"
    if format == "annotated-pairs":
        suffix = ".json"
    elif format == "original" and len(datasets) == 1:
        from workbench.formats import get_adapter

        container = str(datasets["container"].iloc[0])
        document = get_adapter(str(datasets["format"].iloc[0])).is_document_format
        suffix = ".json" if document else {"csv": ".csv", "parquet": ".parquet", "json": ".json"}.get(container, ".jsonl")
    else:
        suffix = ".jsonl"
    return str(state.workspace_folder() / "exports" / f"{stem}-{format}{suffix}")


def options(store: "WorkspaceStore") -> ExportChoices:
    from workbench.export import EXPORT_FORMATS

    row = st.columns([2, 3])
    format = row[0].radio("Format", EXPORT_FORMATS, key="wb.export.format", horizontal=True,
                          help=" ".join(f"{name}: {text}" for name, text in FORMAT_HELP.items()))
    row[0].caption(FORMAT_HELP[format])
    path_key = f"wb.export.path.{format}"
    if path_key not in st.session_state:
        st.session_state[path_key] = default_path(store, format)
    path = row[1].text_input("Output file", key=path_key,
                             help="Where to write; the manifest goes beside it as <file>.manifest.json. "
                                  "The extension picks the container (.jsonl, .json, .csv, .parquet).")
    scored = bool(store.result_columns())
    with_scores = st.checkbox("Add the analyzer score columns", key="wb.export.with_scores", disabled=not scored,
                              help="Adds every column of each analyzer's latest run to the rows (analyzer.column)."
                              + ("" if scored else " No analyzer has run yet."))
    overwrite = False
    if path.strip() and Path(path.strip()).expanduser().exists():
        overwrite = st.checkbox("Overwrite the existing file", key="wb.export.overwrite",
                                help=f"{path.strip()} exists already.")
    return ExportChoices(path.strip(), format, with_scores and scored, overwrite)


def run_export(store: "WorkspaceStore", spec: FilterSpec, choices: ExportChoices) -> None:
    from workbench.export import export

    if not choices.path:
        st.error("Give an output file path.", icon=":material/error:")
        return
    target = Path(choices.path).expanduser()
    if target.is_dir():
        st.error(f"'{target}' is a folder; give a file name such as {target / 'clean.jsonl'}.", icon=":material/error:")
        return
    if target.exists() and not choices.overwrite:
        st.error(f"'{target}' exists already; tick 'Overwrite the existing file' or choose another name.",
                 icon=":material/error:")
        return
    with state.user_errors():
        with st.spinner("Writing…"):
            report = export(store, str(target), spec, format=choices.format, with_scores=choices.with_scores)
        st.session_state[LAST_EXPORT_KEY] = {"describe": report.describe(), "path": report.path,
                                             "manifest_path": report.manifest_path, "kept": report.kept,
                                             "removed": report.removed, "format": report.format}
        st.session_state.pop("wb.export.overwrite", None)


def show_last_export() -> None:
    last = st.session_state.get(LAST_EXPORT_KEY)
    if not last:
        return
    st.success(last["describe"], icon=":material/task_alt:")
    path, manifest_path = Path(last["path"]), Path(last["manifest_path"])
    if path.exists() and path.stat().st_size <= DOWNLOAD_LIMIT_BYTES:
        st.download_button(f"Download {path.name} ({path.stat().st_size / 1024:,.1f} KiB)", data=path.read_bytes(),
                           file_name=path.name, key="wb.export.download", icon=":material/download:",
                           on_click="ignore")
    elif path.exists():
        st.caption(f"The file is over {DOWNLOAD_LIMIT_BYTES // (1024 * 1024)} MiB; take it from {path}.")
    if manifest_path.exists():
        st.markdown(f"**Manifest** `{manifest_path}`")
        st.json(json.loads(manifest_path.read_text(encoding="utf-8")), expanded=2)
