"""A small TRL fixture (12 pairs, three sources, a tie, an identical pair, a duplicate, one conversational
row) loaded into a temporary workspace that the app under AppTest opens via $WORKBENCH_WORKSPACE."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app.py"

FIXTURE_ROWS = [
    {"id": "a1", "source": "alpha", "split": "train", "prompt": "Name a primary colour.",
     "chosen": "Red is a primary colour.", "rejected": "Green."},
    {"id": "a2", "source": "alpha", "split": "train", "prompt": "What is 2 + 2?",
     "chosen": "2 + 2 = 4.", "rejected": "It is 5, obviously, if you think about it long enough."},
    {"id": "a3", "source": "alpha", "split": "test", "prompt": "Say hello <b>politely</b>.",
     "chosen": "Hello there, <script>alert('x')</script> how are you today?", "rejected": "Hello."},
    {"id": "a4", "source": "alpha", "split": "train", "prompt": "Capital of France?",
     "chosen": "Paris.", "rejected": "Paris.", "note": "identical responses"},
    {"id": "a5", "source": "alpha", "split": "train", "prompt": "Capital of Italy?",
     "chosen": "The capital of Italy is Rome, a city with a long history.", "rejected": "Milan."},
    {"id": "b1", "source": "beta", "split": "train", "prompt": "Write a haiku about rain.",
     "chosen": "Soft rain on the roof\nwhispers to the sleeping town\npuddles hold the sky",
     "rejected": "Rain falls. It is wet. The end."},
    {"id": "b2", "source": "beta", "split": "train", "prompt": "Which is larger, 9 or 11?",
     "chosen": "11 is larger.", "rejected": "9 is larger because it has a bigger digit.", "tie": True},
    {"id": "b3", "source": "beta", "split": "test", "prompt": "Capital of Italy?",
     "chosen": "The capital of Italy is Rome, a city with a long history.", "rejected": "Milan."},
    {"id": "b4", "source": "beta", "split": "train", "prompt": "Translate 'gato' to English.",
     "chosen": "Cat.", "rejected": "The Spanish word 'gato' means 'dog' in English, as far as I know."},
    {"id": "g1", "source": "gamma", "split": "train",
     "prompt": [{"role": "user", "content": "Give me a synonym for happy."}],
     "chosen": [{"role": "assistant", "content": "Joyful."}],
     "rejected": [{"role": "assistant", "content": "Sad is a synonym for happy."}]},
    {"id": "g2", "source": "gamma", "split": "train", "prompt": "Spell 'necessary'.",
     "chosen": "N-E-C-E-S-S-A-R-Y.", "rejected": "N-E-C-C-E-S-A-R-Y, with two c's and one s."},
    {"id": "g3", "source": "gamma", "split": "test", "prompt": "Is the earth flat?",
     "chosen": "No, the Earth is an oblate spheroid.", "rejected": "Yes."},
]


def write_fixture(path: Path) -> Path:
    with open(path, "w", encoding="utf-8") as handle:
        for row in FIXTURE_ROWS:
            handle.write(json.dumps(row) + "\n")
    return path


@pytest.fixture
def fixture_file(tmp_path) -> Path:
    return write_fixture(tmp_path / "prefs.jsonl")


@pytest.fixture
def empty_workspace(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "workspace"
    monkeypatch.setenv("WORKBENCH_WORKSPACE", str(folder))
    return folder


@pytest.fixture
def workspace(tmp_path, monkeypatch, fixture_file) -> Path:
    """A workspace holding the fixture; the test's own connection is closed before the app opens it."""
    from workbench.workspace import WorkspaceStore

    folder = tmp_path / "workspace"
    store = WorkspaceStore(folder)
    try:
        store.load(str(fixture_file))
    finally:
        store.close()
    monkeypatch.setenv("WORKBENCH_WORKSPACE", str(folder))
    return folder


def open_app(page: str | None = None):
    """An AppTest of the entry script, run once (so st.navigation registers the pages), then on ``page``."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=30)
    at.run()
    if page:
        at.switch_page(page).run()
    return at
