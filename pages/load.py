"""Load: the workspace folder and its datasets; load a file by path, by upload, or the bundled sample."""
from __future__ import annotations

import streamlit as st

from workbench.ui import loading, state

store = state.store()
st.title("Load data")
state.show_flashes()

st.markdown(f"Workspace folder: `{state.workspace_folder()}`")
loading.datasets_table(store)

st.subheader("Add a dataset")
options = loading.options_form()
source_tab, upload_tab, sample_tab = st.tabs(["From a path", "Upload a file", "Bundled sample"])
with source_tab:
    path = st.text_input("File, folder or hub dataset id", key="wb.load.path",
                         placeholder="/data/prefs.jsonl  ·  a save_to_disk folder  ·  org/dataset",
                         help="JSONL(.gz), JSON, CSV or Parquet files; a Hugging Face save_to_disk folder; or a hub id.")
    if st.button("Load path", key="wb.load.path_button", type="primary", disabled=not path,
                 icon=":material/folder_open:"):
        loading.load_and_report(store, path.strip(), options)
with upload_tab:
    upload = st.file_uploader("Dataset file", type=["jsonl", "json", "csv", "parquet", "gz", "ndjson"],
                              key="wb.load.upload",
                              help="Saved into the workspace folder (uploads/) and loaded from there.")
    if st.button("Load upload", key="wb.load.upload_button", type="primary", disabled=upload is None,
                 icon=":material/upload:") and upload is not None:
        with state.user_errors():
            loading.load_and_report(store, str(loading.save_upload(upload)), options)
with sample_tab:
    sample = loading.sample_path()
    if sample is None:
        st.caption("The bundled sample (sample_data/preferences.jsonl) is not in this checkout.")
    else:
        st.caption(f"About 500 pairs from several sources, standard and conversational TRL rows: `{sample}`.")
    if st.button("Load the bundled sample data", key="wb.load.sample_button", disabled=sample is None,
                 type="primary", icon=":material/dataset:"):
        loading.load_and_report(store, str(sample), options)
