"""Preference Workbench, the browser app: `streamlit run app.py -- --workspace DIR` (or `workbench app`).

This entry script only sets the page up and registers the pages; each page lives in pages/ and draws
with the shared widgets in workbench/ui/.
"""
from __future__ import annotations

import sys

import streamlit as st

from workbench.ui import state
from workbench.ui.navigation import DEFAULT_PAGE, PAGES

st.set_page_config(layout="wide", page_title="Preference Workbench", page_icon=":material/balance:")
if state.FOLDER_KEY not in st.session_state:
    state.use_workspace(state.workspace_from_args(sys.argv[1:]))

page = st.navigation([st.Page(script, title=title, icon=icon, default=script == DEFAULT_PAGE)
                      for script, title, icon in PAGES])
state.sidebar()
page.run()
