"""The app's workspace and session state: which folder, the one open store, and how errors are shown.

DuckDB lets one process open a workspace, so the app opens each folder once (``st.cache_resource``) and
every session and page reuses that store. A per-folder revision number goes up after every write the
app makes (load, tag, ingest); cached reads are keyed by it, so page reruns stay cheap and never stale.
"""
from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from workbench.errors import WorkbenchError

if TYPE_CHECKING:
    from workbench.workspace import WorkspaceStore

DEFAULT_WORKSPACE = ".workspace"
WORKSPACE_ENV = "WORKBENCH_WORKSPACE"
FOLDER_KEY = "wb.workspace_folder"


def workspace_from_args(argv: Sequence[str], environ: Mapping[str, str] | None = None) -> Path:
    """The workspace folder: ``--workspace DIR`` (the arguments after ``--`` of ``streamlit run``),
    else $WORKBENCH_WORKSPACE, else ``.workspace``."""
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    parser.add_argument("--workspace")
    known, _ = parser.parse_known_args(list(argv))
    environ = os.environ if environ is None else environ
    return Path(known.workspace or environ.get(WORKSPACE_ENV) or DEFAULT_WORKSPACE).expanduser().resolve()


def use_workspace(folder: Path) -> None:
    st.session_state[FOLDER_KEY] = str(folder)


def workspace_folder() -> Path:
    if FOLDER_KEY not in st.session_state:
        use_workspace(workspace_from_args(sys.argv[1:]))
    return Path(st.session_state[FOLDER_KEY])


@st.cache_resource(show_spinner=False)
def _open_store(folder: str) -> "WorkspaceStore":
    from workbench.workspace import WorkspaceStore

    return WorkspaceStore(folder)


@st.cache_resource(show_spinner=False)
def _revision_box(folder: str) -> dict:
    return {"revision": 0}


def store() -> "WorkspaceStore":
    """The workspace of this app process; stops the page with one sentence when it cannot be opened."""
    try:
        return _open_store(str(workspace_folder()))
    except WorkbenchError as error:
        st.error(str(error))
        st.stop()
        raise  # st.stop() raises; this keeps type checkers quiet


def revision() -> int:
    """Goes up after every write the app makes to the workspace; a cache key for derived numbers."""
    return _revision_box(str(workspace_folder()))["revision"]


def mark_changed() -> None:
    _revision_box(str(workspace_folder()))["revision"] += 1


@contextmanager
def user_errors() -> Iterator[None]:
    """Show errors a user can cause as one sentence (st.error) instead of a traceback."""
    try:
        yield
    except WorkbenchError as error:
        st.error(str(error), icon=":material/error:")
    except OSError as error:
        where = f" ({error.filename})" if getattr(error, "filename", None) else ""
        st.error(f"{error.strerror or error}{where}.", icon=":material/error:")


def flash(message: str, kind: str = "success") -> None:
    """Keep a message to show after the next rerun (st.rerun would otherwise wipe it)."""
    st.session_state.setdefault("wb.flash", []).append((kind, message))


def show_flashes() -> None:
    for kind, message in st.session_state.pop("wb.flash", []):
        getattr(st, kind)(message)


def sidebar() -> None:
    """The workspace line under the page list: folder, pair count and active filters."""
    from workbench.ui.filters import current_spec

    workspace = store()
    with st.sidebar:
        st.caption(f"Workspace `{workspace_folder()}`")
        st.caption(f"{workspace.n_pairs():,} pairs loaded.",
                   help="Pairs currently in the workspace, over every loaded file.")
        spec = current_spec()
        parts = spec.describe()
        if parts:
            st.caption("Active filters (Explore, Export): " + "; ".join(f"`{part}`" for part in parts))
