"""Analyzers: pick one, set it up, run it in its own process with progress and cancel; list the runs."""
from __future__ import annotations

import streamlit as st

from analyzers import analyzer_names, get_analyzer
from workbench.ui import analyzer_panel, runs, state

store = state.store()
st.title("Analyzers")
state.show_flashes()

runs.analyzers_table(store)
names = analyzer_names()
name = st.selectbox("Analyzer to run", names, key="wb.analyzer.name",
                    help="Each analyzer adds per-pair columns (analyzer.column) and a small summary to the workspace.")
analyzer = get_analyzer(name)
st.markdown(analyzer.description)
runs.columns_table(analyzer)

running = analyzer_panel.has_active_job()
if running:
    analyzer_panel.job_monitor()
values = analyzer_panel.settings_form(analyzer, running=running)
if values is not None and not running:
    if store.n_pairs() == 0:
        st.error("The workspace has no pairs yet; load a dataset first.", icon=":material/error:")
    else:
        with state.user_errors():
            analyzer_panel.start_run(store, name, values)
            st.rerun()

runs.last_result(store, name)
st.subheader("Runs")
runs.runs_table(store)
runs.unfinished(store)
