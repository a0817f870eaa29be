"""Features: sparse preference features (or PCA axes) of the embedding differences, what each one means,
how it relates to which side wins, its top pairs, a filter on it, and a map of the pairs."""
from __future__ import annotations

import streamlit as st

from workbench.ui import features_view, state

store = state.store()
st.title("Features")
state.show_flashes()
if store.n_pairs() == 0:
    st.info("No pairs yet: load a dataset first.", icon=":material/inbox:")
    st.page_link("pages/load.py", label="Go to Load data", icon=":material/upload_file:")
    st.stop()

info = store.active_runs().get(features_view.ANALYZER)
if info is None:
    st.info("The features analyzer has not run on this workspace yet. Run it below: it embeds both responses of "
            "every pair, learns sparse features of their difference, and tests which ones predict the preferred "
            "side.", icon=":material/info:")
    features_view.run_panel(store, expanded=True)
    st.stop()

features_view.headline(info)
st.subheader("Features")
feature = features_view.feature_table(info)
if feature is not None:
    features_view.feature_detail(store, info, feature)
st.subheader("Map of the pairs")
with state.user_errors():
    features_view.pair_map(store, info)
features_view.run_panel(store, expanded=False)
