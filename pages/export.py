"""Export: write the pairs that pass the Explore filters as a cleaned file, with a manifest beside it."""
from __future__ import annotations

import streamlit as st

from workbench.ui import export_panel, filters, state

store = state.store()
st.title("Export")
state.show_flashes()
if store.n_pairs() == 0:
    st.info("No pairs yet: load a dataset first.", icon=":material/inbox:")
    st.page_link("pages/load.py", label="Go to Load data", icon=":material/upload_file:")
    st.stop()

spec = export_panel.export_spec(store, filters.current_spec())
counts = export_panel.counts(store, spec)
if counts is not None:
    choices = export_panel.options(store)
    if st.button("Export", key="wb.export.run", type="primary", icon=":material/download:"):
        export_panel.run_export(store, spec, choices)
export_panel.show_last_export()
