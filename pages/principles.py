"""Principles: the labels explained by a constitution (Inverse Constitutional AI) and by fixed traits."""
from __future__ import annotations

import streamlit as st

from workbench.ui import analyzer_panel, principles_view, state

store = state.store()
st.title("Principles")
state.show_flashes()
if store.n_pairs() == 0:
    st.info("No pairs yet: load a dataset first.", icon=":material/inbox:")
    st.stop()
st.caption("An LLM explains the labels: which principles pick the chosen response (constitution), and which common "
           "traits the chosen responses have more of. Settings 'backend' picks the model: the embedded 135M model "
           "offline, or an OpenAI-compatible endpoint (see docs/principles.md).")
if analyzer_panel.has_active_job():
    analyzer_panel.job_monitor()
constitution_tab, traits_tab = st.tabs(["Constitution (ICAI)", "Traits"])
with constitution_tab:
    principles_view.run_panel(store, "principles")
    principles_view.constitution_section(store)
with traits_tab:
    principles_view.run_panel(store, "traits")
    principles_view.traits_section(store)
