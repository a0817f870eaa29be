"""Tables of the Analyzers page: an analyzer's columns, the latest result, every run, unfinished jobs."""
from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from workbench.ui import analyzer_panel, state

if TYPE_CHECKING:
    from workbench.workspace import WorkspaceStore

RUN_COLUMNS = {
    "analyzer": "Which analyzer ran.",
    "run_id": "The run's id (also the job folder under jobs/).",
    "status": "running, complete, failed, cancelled or interrupted.",
    "active": "This run's columns are the ones Explore, filters and exports use (the analyzer's latest complete run).",
    "stale": "The pairs changed after this run (a load or replace): its columns miss or mismatch some pairs.",
    "settings": "The settings the analyzer ran with; part of the cache key.",
    "pairs": "Pairs the run covered.",
    "created": "When the run was started (UTC).",
    "finished": "When its results were stored (UTC).",
    "error": "Why it failed.",
}


def analyzers_table(store: "WorkspaceStore") -> None:
    """Every registered analyzer with its description and the run whose columns are in use."""
    from analyzers import analyzer_names, get_analyzer

    active = store.active_runs()
    frame = pd.DataFrame([{
        "analyzer": name, "description": get_analyzer(name).description,
        "active run": active[name].run_id if name in active else "",
        "finished": active[name].finished_at if name in active else None,
    } for name in analyzer_names()])
    st.dataframe(frame, hide_index=True, width="stretch", column_config={
        "analyzer": st.column_config.TextColumn("analyzer", help="The analyzer's name; its columns are analyzer.column."),
        "description": st.column_config.TextColumn("description", width="large", help="What it computes."),
        "active run": st.column_config.TextColumn("active run", help="The latest complete run, whose columns Explore, "
                                                  "filters and exports use; empty when it has not run."),
        "finished": st.column_config.DatetimeColumn("finished (UTC)", help="When that run's results were stored."),
    })


def columns_table(analyzer) -> None:
    settings = analyzer.default_settings()
    frame = pd.DataFrame([{"column": f"{analyzer.name}.{c.name}", "type": c.dtype, "definition": c.description}
                          for c in analyzer.columns(settings)])
    with st.expander(f"The {len(frame)} per-pair columns it adds"):
        st.dataframe(frame, hide_index=True, width="stretch")


def last_result(store: "WorkspaceStore", analyzer_name: str) -> None:
    """The summary of the run this session just finished, else of the analyzer's active run."""
    run_id = st.session_state.get(analyzer_panel.LAST_RUN_KEY)
    info = store.run(run_id) if run_id else None
    if info is None or info.analyzer != analyzer_name:
        info = store.active_runs().get(analyzer_name)
    if info is None:
        return
    st.subheader(f"Result of run {info.run_id} ({info.analyzer})")
    summary = info.summary or {}
    numbers = {k: v for k, v in summary.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
    primary = summary.get("primary_metric")
    from analyzers import get_analyzer

    definitions = get_analyzer(info.analyzer).summary_descriptions
    if primary in numbers:
        value = numbers[primary]
        st.metric(primary.replace("_", " "), f"{value:.1%}" if "share" in primary and value <= 1 else f"{value:,.4g}",
                  help=definitions.get(primary, "The analyzer's primary metric, computed from its per-pair columns."))
    import pandas as pd

    st.dataframe(pd.DataFrame([{"value": json.dumps(value, default=str) if isinstance(value, (dict, list)) else str(value),
                                "meaning": definitions.get(key, "")} for key, value in summary.items()],
                              index=list(summary)), width="stretch")
    st.caption(f"Summary over {info.n_pairs or 0:,} pairs, derived from the run's per-pair columns; settings "
               + ", ".join(f"`{k}={v}`" for k, v in info.settings.items()) + ".")


def runs_table(store: "WorkspaceStore") -> None:
    runs = store.runs()
    if not runs:
        st.caption("No runs yet.")
        return
    active = {info.run_id for info in store.active_runs().values()}
    fingerprint = store.fingerprint()
    frame = pd.DataFrame([{
        "analyzer": info.analyzer, "run_id": info.run_id, "status": info.status, "active": info.run_id in active,
        "stale": info.dataset_fingerprint != fingerprint, "settings": json.dumps(info.settings, sort_keys=True),
        "pairs": info.n_pairs, "created": info.created_at, "finished": info.finished_at, "error": info.error or "",
    } for info in reversed(runs)])
    st.dataframe(frame, hide_index=True, width="stretch",
                 column_config={name: st.column_config.Column(name, help=text) for name, text in RUN_COLUMNS.items()})
    st.caption("Newest first. Running an analyzer again with the same settings on the same pairs reuses the stored "
               "result instead of recomputing it.")


def _resume(store: "WorkspaceStore", job_dir: str) -> None:
    analyzer_panel.resume(store, Path(job_dir))


def _watch(job_dir: str) -> None:
    st.session_state[analyzer_panel.ACTIVE_JOB_KEY] = job_dir


def unfinished(store: "WorkspaceStore") -> None:
    from workbench import jobs

    active = st.session_state.get(analyzer_panel.ACTIVE_JOB_KEY)
    found = [item for item in jobs.unfinished_jobs(store) if str(item[0]) != active]
    if not found:
        return
    st.subheader("Unfinished jobs")
    st.caption("Jobs that stopped (cancelled, failed, or the app quit) keep their finished batches; Resume continues "
               "from them in a new process.")
    for job_dir, spec, status in found:
        with st.container(border=True):
            row = st.columns([5, 2], vertical_alignment="center")
            settings = ", ".join(f"{k}={v}" for k, v in (spec.get("settings") or {}).items())
            row[0].markdown(f"**{spec.get('analyzer')}** · job `{job_dir.name}` · {status.state} · "
                            f"{status.done:,} of {status.total:,} pairs done")
            row[0].caption(f"Settings: {settings}. Started {str(spec.get('created_at', ''))[:19]}."
                           + (f" Error: {status.error}" if status.error else ""))
            if status.state == "running":
                row[1].button("Watch", key=f"wb.job.watch.{job_dir.name}", on_click=_watch, args=(str(job_dir),))
            elif status.state == "complete":
                if row[1].button("Store results", key=f"wb.job.ingest.{job_dir.name}", type="primary"):
                    with state.user_errors():
                        info = analyzer_panel.ingest_job(store, job_dir)
                        st.session_state[analyzer_panel.LAST_RUN_KEY] = info.run_id
                        st.rerun()
            else:
                row[1].button("Resume", key=f"wb.job.resume.{job_dir.name}", type="primary", icon=":material/replay:",
                              on_click=_resume, args=(store, str(job_dir)))
