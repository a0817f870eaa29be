"""Analyzer runs from the app: a settings form built from the analyzer's settings dataclass, starting a
job in its own process, and a monitor (a fragment rerun every second) that shows progress, cancels,
and stores the results in the workspace when the job finishes."""
from __future__ import annotations

import dataclasses
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import streamlit as st

from workbench.ui import state

if TYPE_CHECKING:
    from workbench.workspace import WorkspaceStore

ACTIVE_JOB_KEY = "wb.active_job"
LAST_RUN_KEY = "wb.last_run"


@st.cache_resource(show_spinner=False)
def _processes() -> dict[str, Any]:
    """Job processes this app started, by job folder, so finished ones are reaped (no zombies)."""
    return {}


@st.cache_resource(show_spinner=False)
def _ingest_lock() -> threading.Lock:
    return threading.Lock()


# ---------------------------------------------------------------- the settings form

def _field_help(field: dataclasses.Field, default: Any) -> str:
    text = field.metadata.get("help") if field.metadata else None
    return (text + " " if text else "") + f"Setting `{field.name}`; default `{default!r}`."


def settings_form(analyzer, *, running: bool = False) -> dict | None:
    """The analyzer's settings as a form; returns the values (a dict for ``prepare_job``) when Run is pressed.

    Drawn even while a job runs (with Run disabled) so the values typed stay in the form."""
    defaults = analyzer.default_settings()
    values: dict[str, Any] = {}
    with st.form(f"wb.settings.{analyzer.name}", border=True):
        columns = st.columns(2)
        for index, field in enumerate(dataclasses.fields(analyzer.settings_class)):
            default = getattr(defaults, field.name)
            label = field.name.replace("_", " ").capitalize()
            key = f"wb.setting.{analyzer.name}.{field.name}"
            help_text = _field_help(field, default)
            with columns[index % 2]:
                if isinstance(default, bool):
                    values[field.name] = st.checkbox(label, value=default, key=key, help=help_text)
                elif isinstance(default, int):
                    values[field.name] = int(st.number_input(label, value=default, step=1, key=key, help=help_text))
                elif isinstance(default, float):
                    values[field.name] = float(st.number_input(label, value=default, format="%g", key=key, help=help_text))
                elif isinstance(default, (list, tuple)):
                    values[field.name] = st.text_input(label, value=", ".join(map(str, default)), key=key,
                                                       help=help_text + " Separate values with commas.")
                elif default is None:
                    text = st.text_input(label, value="", key=key, help=help_text + " Leave empty for none.")
                    values[field.name] = text.strip() or None
                else:
                    values[field.name] = st.text_input(label, value=str(default), key=key, help=help_text).strip()
        submitted = st.form_submit_button("Run", type="primary", icon=":material/play_arrow:", disabled=running,
                                          help="A job is running; wait for it or cancel it." if running else None)
    return values if submitted else None


# ---------------------------------------------------------------- starting and watching jobs

def _launch(job_dir: Path) -> None:
    from workbench import jobs

    _processes()[str(job_dir)] = jobs.start_process(job_dir)
    st.session_state[ACTIVE_JOB_KEY] = str(job_dir)


def start_run(store: "WorkspaceStore", analyzer_name: str, values: dict) -> None:
    """Prepare the job; reuse a stored identical run, else start it in its own process."""
    from workbench import jobs

    job_dir, info = jobs.prepare_job(store, analyzer_name, values)
    if job_dir is None:
        st.session_state[LAST_RUN_KEY] = info.run_id
        state.mark_changed()
        state.flash(f"Reused the stored result of run {info.run_id}: '{analyzer_name}' already ran with these "
                    "settings on exactly these pairs, so nothing was recomputed.", "info")
        return
    _launch(job_dir)
    state.mark_changed()


def resume(store: "WorkspaceStore", job_dir: Path) -> None:
    """Start a stopped job again; it skips the batches it finished before."""
    _set_run_status(store, job_dir, "running")
    _launch(job_dir)
    state.mark_changed()


def _set_run_status(store: "WorkspaceStore", job_dir: Path, status: str) -> None:
    info = store.run(job_dir.name)
    if info is not None and info.status != status:
        info.status, info.error = status, None
        store.record_run(info)


def _reap(job_dir: str) -> None:
    process = _processes().get(job_dir)
    if process is not None and process.poll() is not None:
        _processes().pop(job_dir, None)


def _finish(message: str, kind: str) -> None:
    st.session_state.pop(ACTIVE_JOB_KEY, None)
    state.flash(message, kind)
    st.rerun(scope="app")


def ingest_job(store: "WorkspaceStore", job_dir: Path):
    from workbench import jobs

    with _ingest_lock():
        if (job_dir / "ingested").exists():
            return store.run(job_dir.name)
        info = jobs.ingest(store, job_dir)
    state.mark_changed()
    return info


def _monitor_body() -> None:
    from workbench import jobs

    job_dir = Path(st.session_state.get(ACTIVE_JOB_KEY, ""))
    if not st.session_state.get(ACTIVE_JOB_KEY):
        return
    store = state.store()
    _reap(str(job_dir))
    status = jobs.status(job_dir)
    spec_name = job_dir.name
    if status.state in ("pending", "running"):
        with st.container(border=True):
            st.markdown(f"**Running job `{spec_name}`**")
            detail = f" ({status.message})" if status.message and not status.message.endswith(" pairs") else ""
            st.progress(min(1.0, status.fraction), text=f"{status.done:,} of {status.total:,} pairs{detail}")
            st.caption("The analyzer runs in its own process; you can leave this page and come back. Cancel stops it "
                       "after the current batch, and the finished batches are kept for a resume.")
            if st.button("Cancel", key="wb.cancel_job", icon=":material/stop:"):
                jobs.cancel(job_dir)
                st.toast("Cancelling after the current batch…")
        return
    if status.state == "complete":
        with state.user_errors():
            info = ingest_job(store, job_dir)
            st.session_state[LAST_RUN_KEY] = info.run_id
            _finish(f"Run {info.run_id} of '{info.analyzer}' finished on {info.n_pairs:,} pairs; its columns are now "
                    "available in Explore, filters and exports.", "success")
        st.session_state.pop(ACTIVE_JOB_KEY, None)
        return
    if status.state == "ingested":
        st.session_state[LAST_RUN_KEY] = job_dir.name
        _finish(f"Run {job_dir.name} is stored in the workspace.", "success")
    if status.state in ("failed", "cancelled", "interrupted"):
        jobs.settle(store, job_dir)
    if status.state == "failed":
        _finish(f"The run failed: {status.error}", "error")
    if status.state == "cancelled":
        _finish(f"Run {spec_name} was cancelled after {status.done:,} of {status.total:,} pairs; resume it below.",
                "warning")
    if status.state == "interrupted":
        _finish(f"Run {spec_name} stopped before finishing ({status.done:,} of {status.total:,} pairs); resume it below.",
                "warning")


job_monitor = st.fragment(_monitor_body, run_every=1)


def has_active_job() -> bool:
    return bool(st.session_state.get(ACTIVE_JOB_KEY))


def run_panel(store: "WorkspaceStore", analyzer, *, expanded: bool = True) -> None:
    """Settings form, start button and progress monitor for one analyzer, for pages built on its results."""
    running = has_active_job()
    if running:
        job_monitor()
    with st.expander(f"Run `{analyzer.name}`", expanded=expanded):
        st.markdown(analyzer.description)
        values = settings_form(analyzer, running=running)
    if values is not None and not running:
        if store.n_pairs() == 0:
            st.error("The workspace has no pairs yet; load a dataset first.", icon=":material/error:")
            return
        with state.user_errors():
            start_run(store, analyzer.name, values)
            st.rerun()
