"""The app's pages, in menu order: (script, title, icon). app.py registers exactly these."""
from __future__ import annotations

PAGES = (
    ("pages/load.py", "Load data", ":material/upload_file:"),
    ("pages/overview.py", "Overview", ":material/dashboard:"),
    ("pages/explore.py", "Explore", ":material/table_view:"),
    ("pages/analyzers.py", "Analyzers", ":material/analytics:"),
    ("pages/displacement.py", "Displacement", ":material/trending_down:"),
    ("pages/margins.py", "Margins", ":material/compare_arrows:"),
    ("pages/bias.py", "Bias", ":material/balance:"),
    ("pages/principles.py", "Principles", ":material/gavel:"),
    ("pages/features.py", "Features", ":material/scatter_plot:"),
    ("pages/export.py", "Export", ":material/download:"),
)
DEFAULT_PAGE = "pages/overview.py"
