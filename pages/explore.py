"""Explore: filter the pairs, page through them, open one side by side and tag it."""
from __future__ import annotations

import streamlit as st

from workbench import query
from workbench.errors import WorkbenchError
from workbench.ui import explore, filters, pair_view, state

store = state.store()
st.title("Explore")
state.show_flashes()
total = store.n_pairs()
if total == 0:
    st.info("No pairs yet: load a dataset first.", icon=":material/inbox:")
    st.page_link("pages/load.py", label="Go to Load data", icon=":material/upload_file:")
    st.stop()

spec = filters.filter_builder(store)
try:
    matching = query.count(store, spec)
except WorkbenchError as error:
    st.error(f"The active filters no longer apply: {error}", icon=":material/error:")
    st.button("Clear all filters", on_click=filters.set_spec, args=(filters.FilterSpec(),))
    st.stop()

st.metric("Matching pairs", f"{matching:,}", border=False,
          help=f"Pairs that pass every filter and the WHERE condition, out of the {total:,} pairs in the workspace.")
st.caption(f"{matching:,} of {total:,} pairs ({matching / total:.1%}) match the filters; Export writes these.")

view = explore.table_controls(store, spec, matching)
with state.user_errors():
    explore.pairs_table(store, spec, view)
explore.bulk_tag(store, spec, matching)

pair_id = st.session_state.get(explore.PAIR_KEY)
if pair_id:
    st.divider()
    with st.container(key="wb-pair-view"):
        with state.user_errors():
            pair_view.pair_view(store, pair_id)
        st.button("Close the pair view", key="wb.pair.close", icon=":material/close:",
                  on_click=lambda: st.session_state.pop(explore.PAIR_KEY, None))
