"""Widgets of the Load page: the datasets table, the load options, saving uploads, and loading with a
progress bar and a one-sentence report."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from workbench.errors import WorkbenchError
from workbench.ui import state
from workbench.ui.explore import PAIR_KEY

if TYPE_CHECKING:
    from workbench.workspace import WorkspaceStore

UPLOADS = "uploads"
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")

DATASET_COLUMNS = {
    "dataset_id": ("id", "Number of the load in this workspace (pairs keep it as dataset_id)."),
    "name": ("name", "Dataset name: the file name without its extension; pairs without a source column get it as source."),
    "format": ("format", "Input format the rows were read as (detected or chosen)."),
    "container": ("container", "File container: jsonl, json, csv, parquet or a dataset folder."),
    "n_pairs": ("pairs", "Pairs loaded from the file."),
    "n_rejected": ("skipped rows", "Malformed rows skipped (on-error = skip); the reasons are in the rejects file."),
    "loaded_at": ("loaded at (UTC)", "When the file was loaded."),
    "path": ("path", "Where the file was read from."),
}


@dataclass
class LoadChoices:
    format: str | None = None
    column_map: dict[str, str] = field(default_factory=dict)
    on_error: str = "fail"
    replace: bool = False
    mapping_error: str | None = None


def sample_path() -> Path | None:
    from workbench.cli import SAMPLE_DATA

    return SAMPLE_DATA if SAMPLE_DATA.exists() else None


def datasets_table(store: "WorkspaceStore") -> None:
    datasets = store.datasets()
    if datasets.empty:
        st.info("This workspace is empty: load a dataset below.", icon=":material/inbox:")
        return
    shown = datasets[[name for name in DATASET_COLUMNS if name in datasets.columns]]
    st.dataframe(shown, hide_index=True, width="stretch",
                 column_config={name: st.column_config.Column(label, help=help_text)
                                for name, (label, help_text) in DATASET_COLUMNS.items()})
    st.caption(f"{int(datasets['n_pairs'].sum()):,} pairs in {len(datasets)} dataset(s); "
               f"{int(datasets['n_rejected'].sum()):,} rows skipped as malformed.")


def parse_column_map(text: str) -> dict[str, str]:
    """'field=column' lines -> {field: column}; raises WorkbenchError naming the bad line."""
    mapping = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        if "=" not in line:
            raise WorkbenchError(f"Column mapping line {number} ('{line}') must look like FIELD=COLUMN, e.g. prompt=question.")
        name, column = (part.strip() for part in line.split("=", 1))
        if not name or not column:
            raise WorkbenchError(f"Column mapping line {number} ('{line}') needs both a field and a column name.")
        mapping[name] = column
    return mapping


def options_form() -> LoadChoices:
    from workbench.formats import registry

    adapters = registry()
    choices = LoadChoices()
    with st.expander("Load options: format, column mapping, malformed rows, replace", expanded=False):
        left, right = st.columns(2)
        with left:
            names = ["auto", *sorted(adapters)]
            picked = st.selectbox(
                "Format", names, key="wb.load.format",
                format_func=lambda n: "auto-detect" if n == "auto" else f"{n}: {adapters[n].title}",
                help="auto reads the first rows and picks the most specific format that accepts them.")
            if picked != "auto":
                st.caption(adapters[picked].description)
            choices.format = None if picked == "auto" else picked
            choices.on_error = st.radio(
                "Malformed rows", ["fail", "skip"], key="wb.load.on_error", horizontal=True,
                format_func=lambda v: "stop the load (nothing is stored)" if v == "fail" else "skip them (listed in rejects/)",
                help="fail: the first bad row stops the load and names its line and field. skip: bad rows are left out "
                     "and written with their reasons to the workspace's rejects/ folder.")
        with right:
            mapping_text = st.text_area(
                "Column mapping (optional)", key="wb.load.column_map", height=100,
                placeholder="prompt=question\nchosen=good_answer\nrejected=bad_answer",
                help="One FIELD=COLUMN per line: read the canonical FIELD (prompt, chosen, rejected, id, source, split, "
                     "or a format's own field) from the file's COLUMN.")
            try:
                choices.column_map = parse_column_map(mapping_text or "")
            except WorkbenchError as error:
                choices.mapping_error = str(error)
        choices.replace = st.checkbox(
            "Replace the workspace contents", key="wb.load.replace",
            help="Removes every loaded pair, dataset and tag before loading. Stored analyzer runs stay but no longer "
                 "match the pairs (they show as stale).")
    return choices


def save_upload(upload) -> Path:
    """Save an uploaded file under <workspace>/uploads/<content hash>/<its name> and return the path."""
    data = upload.getvalue()
    name = _SAFE_NAME.sub("_", Path(upload.name).name).strip("._") or "upload.jsonl"
    digest = hashlib.blake2b(data, digest_size=6).hexdigest()
    target = state.workspace_folder() / UPLOADS / digest / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return target


def estimate_rows(path: str) -> int | None:
    """Lines of an uncompressed JSONL file (cheap to count), for the progress bar; None otherwise."""
    target = Path(path)
    if not target.is_file() or not target.name.lower().endswith((".jsonl", ".ndjson")):
        return None
    lines = 0
    with open(target, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            lines += block.count(b"\n")
    return max(lines, 1)


def load_and_report(store: "WorkspaceStore", path: str, choices: LoadChoices) -> None:
    from workbench.loading import LoadOptions

    if choices.mapping_error:
        st.error(choices.mapping_error, icon=":material/error:")
        return
    total = estimate_rows(path)
    bar = st.progress(0.0, text=f"Reading {Path(path).name}…")

    def progress(rows: int) -> None:
        fraction = min(1.0, rows / total) if total else 0.0
        bar.progress(fraction, text=f"{rows:,} rows read" + (f" of about {total:,}" if total else ""))

    with state.user_errors():
        options = LoadOptions(format=choices.format, column_map=choices.column_map, on_error=choices.on_error)
        try:
            report = store.load(path, options, replace=choices.replace, progress=progress)
        finally:
            bar.empty()
            state.mark_changed()
        if choices.replace:  # the pair the Explore view had open may be gone
            st.session_state.pop(PAIR_KEY, None)
        state.flash(report.describe(), "warning" if report.rejected else "success")
        st.rerun()
