"""Streamlit widgets shared by the app's pages; the only package in workbench/ that imports streamlit.

- ``state``: the workspace folder, the one cached ``WorkspaceStore`` per folder, session state keys,
  and error display.
- ``filters``: the filter builder and WHERE box; the resulting ``FilterSpec`` lives in session state
  so Explore and Export (and the sidebar) read the same filters.
- ``pair_view`` and ``diff``: the side-by-side pair view with word-level differences.
- ``charts``: histograms and shares computed in DuckDB, drawn with plotly.
- ``analyzer_panel``: the settings form built from an analyzer's settings dataclass and the job monitor.
"""
