"""The app's pages, in menu order: (script, title, icon). app.py registers exactly these."""
from __future__ import annotations

PAGES = (
    ("pages/load.py", "Load data", ":material/upload_file:"),
    ("pages/overview.py", "Overview", ":material/dashboard:"),
    ("pages/explore.py", "Explore", ":material/table_view:"),
    ("pages/analyzers.py", "Analyzers", ":material/analytics:"),
    ("pages/export.py", "Export", ":material/download:"),
)
DEFAULT_PAGE = "pages/overview.py"
