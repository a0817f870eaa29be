"""The side-by-side view of one pair: prompt, chosen and rejected with word-level differences, every
score column of the pair, its metadata, and the keep / drop / flag tag controls."""
from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

import streamlit as st

from workbench.ui import state
from workbench.ui.diff import DIFF_STYLE, MAX_DIFF_WORDS, changed_word_counts, text_block, word_diff_html

if TYPE_CHECKING:
    from workbench.workspace import WorkspaceStore

TAG_CHOICES = ("keep", "drop", "flag")
TAG_ICONS = {"keep": ":material/check_circle:", "drop": ":material/delete:", "flag": ":material/flag:"}


def format_value(value: Any) -> str:
    """A cell value as short text: floats to 4 significant digits, empty values as an em dash."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            value = value.item()
        except (ValueError, AttributeError):
            pass
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def _save_tag(store: "WorkspaceStore", pair_id: str) -> None:
    tag = st.session_state.get(f"wb.pair.tag.{pair_id}")
    note = st.session_state.get(f"wb.pair.note.{pair_id}") or ""
    if tag is None:
        state.flash("Pick keep, drop or flag first.", "warning")
        return
    store.set_tag([pair_id], tag, note)
    state.mark_changed()
    state.flash(f"Tagged pair {pair_id} '{tag}'.")


def _remove_tag(store: "WorkspaceStore", pair_id: str) -> None:
    store.set_tag([pair_id], None)
    state.mark_changed()
    st.session_state.pop(f"wb.pair.tag.{pair_id}", None)
    st.session_state.pop(f"wb.pair.note.{pair_id}", None)
    state.flash(f"Removed the tag of pair {pair_id}.")


def tag_controls(store: "WorkspaceStore", pair_id: str, tag: str | None, note: str | None) -> None:
    tag_key, note_key = f"wb.pair.tag.{pair_id}", f"wb.pair.note.{pair_id}"
    if tag_key not in st.session_state:
        st.session_state[tag_key] = tag if tag in TAG_CHOICES else None
    if note_key not in st.session_state:
        st.session_state[note_key] = note or ""
    st.segmented_control("Tag", TAG_CHOICES, key=tag_key, format_func=lambda t: t,
                         help="keep: checked and fine; drop: leave out of the cleaned set (Export can leave out "
                              "pairs tagged drop); flag: needs another look.")
    st.text_input("Note", key=note_key, placeholder="why (optional)")
    with st.container(horizontal=True):
        st.button("Save tag", key=f"wb.pair.save.{pair_id}", type="primary", icon=":material/sell:",
                  on_click=_save_tag, args=(store, pair_id))
        st.button("Remove tag", key=f"wb.pair.untag.{pair_id}", on_click=_remove_tag, args=(store, pair_id),
                  disabled=tag is None)


def pair_view(store: "WorkspaceStore", pair_id: str) -> None:
    """Draw the pair; raises WorkbenchError when the id is not in the workspace."""
    from workbench import query

    record = query.pair(store, pair_id)
    columns = store.available_columns()
    st.html(DIFF_STYLE)

    with st.container(horizontal=True, vertical_alignment="center"):
        st.markdown(f"#### Pair `{pair_id}`")
        st.badge(f"source: {record.get('source') or '—'}", color="blue")
        if record.get("split"):
            st.badge(f"split: {record['split']}", color="gray")
        st.badge(f"label: {record.get('label')}", color="orange" if record.get("label") == "tie" else "green")
        if record.get("chosen_position"):
            st.badge(f"chosen shown as {str(record['chosen_position']).upper()}", color="gray")
        if _json(record.get("chosen_messages")) is not None:
            st.badge("conversational", color="violet")
        if record.get("tag"):
            st.badge(f"tag: {record['tag']}", icon=TAG_ICONS.get(record["tag"]), color="red" if record["tag"] == "drop" else "primary")
    st.caption(f"From {record.get('location') or '?'} of dataset {record.get('dataset_id')}.")

    st.markdown("**Prompt**")
    st.html(text_block(_escape(record.get("prompt") or ""), css_class="wb-prompt"))

    chosen, rejected = record.get("chosen") or "", record.get("rejected") or ""
    chosen_html, rejected_html = word_diff_html(chosen, rejected)
    left, right = st.columns(2)
    tie = record.get("label") == "tie"
    with left:
        st.markdown("**Chosen**" + (" (side A; tie)" if tie else ""))
        st.html(text_block(chosen_html))
    with right:
        st.markdown("**Rejected**" + (" (side B; tie)" if tie else ""))
        st.html(text_block(rejected_html))
    if chosen == rejected:
        st.caption("The two responses are identical.")
    elif max(len(chosen.split()), len(rejected.split())) <= MAX_DIFF_WORDS:
        only_chosen, only_rejected = changed_word_counts(chosen, rejected)
        st.caption(
            f"Green: {_words(only_chosen)} only in the chosen response; red: {_words(only_rejected)} only in the "
            f"rejected one (word-level diff of whitespace-separated words). Chosen {len(chosen):,} characters / "
            f"{len(chosen.split()):,} words; rejected {len(rejected):,} characters / {len(rejected.split()):,} words.")
    else:
        st.caption(f"Responses over {MAX_DIFF_WORDS:,} words are shown without highlighting.")

    scores = [
        {"column": name, "value": format_value(record.get(name)), "definition": info["description"]}
        for name, info in columns.items() if info["group"] not in ("pair", "tag")
    ]
    left, right = st.columns([3, 2], gap="large")
    with left:
        st.markdown("**Scores**")
        if scores:
            st.dataframe(scores, hide_index=True, width="stretch", height=38 + 35 * min(len(scores), 20),
                         column_config={"column": st.column_config.TextColumn("column", width="medium"),
                                        "value": st.column_config.TextColumn("value", help="This pair's value", width="small"),
                                        "definition": st.column_config.TextColumn("definition", width="large")})
        else:
            st.caption("No analyzer results yet; run one on the Analyzers page to see per-pair scores here.")
    with right:
        st.markdown("**Tag this pair**")
        tag_controls(store, pair_id, record.get("tag"), record.get("tag_note"))
        metadata = _json(record.get("metadata")) or {}
        with st.expander(f"Metadata ({len(metadata)} fields from the input row)"):
            st.json(metadata, expanded=True)


def _words(count: int) -> str:
    return f"{count:,} word" + ("" if count == 1 else "s")


def _escape(text: str) -> str:
    import html

    return html.escape(text)
