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


def ensure_entry_script() -> None:
    """Run pages through app.py even when the first request of a fresh server opened a page URL.

    Streamlit treats a top-level ``pages/`` folder as its legacy page folder until some run calls
    ``st.navigation``: the first request of a fresh server for /explore (and every AppTest run after
    ``switch_page``) runs pages/explore.py alone, without app.py's page config and page list. Seeing that
    mode here (pages call this before drawing anything), switch it off and run app.py in its place; app.py
    routes to this same page. No rerun, so a button click of this run is not lost.
    """
    import types

    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    if not PagesManager.uses_pages_directory or ctx is None:
        return
    PagesManager.uses_pages_directory = False
    entry = ctx.pages_manager.main_script_path
    module = types.ModuleType("__main__")
    module.__dict__["__file__"] = str(entry)
    exec(ctx.pages_manager.get_page_script_byte_code(str(entry)), module.__dict__)  # noqa: S102
    st.stop()


def store() -> "WorkspaceStore":
    """The workspace of this app process; stops the page with one sentence when it cannot be opened."""
    ensure_entry_script()
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
        st.caption(f"Workspace `{workspace_folder().name}`", help=f"Folder: {workspace_folder()}")
        st.caption(f"{workspace.n_pairs():,} pairs loaded.",
                   help="Pairs currently in the workspace, over every loaded file.")
        spec = current_spec()
        parts = spec.describe()
        if parts:
            st.caption("Active filters (Explore, Export): " + "; ".join(f"`{part}`" for part in parts))
