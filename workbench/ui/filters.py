"""The filter builder: rows of (column, operator, value), removable chips, and the advanced WHERE box.

The applied filters live in session state as plain dicts plus the WHERE text, so Explore, Export and
the sidebar all read the same ``FilterSpec``. A filter or WHERE text is applied only after the workspace
accepted it (a count runs with it); otherwise its one-sentence error shows and nothing changes.
"""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import streamlit as st

from workbench import query
from workbench.errors import WorkbenchError
from workbench.filters import COMPARISONS, NULL_OPS, RANK_OPS, SET_OPS, TEXT_OPS, Filter, FilterSpec, is_numeric_type
from workbench.ui import state

if TYPE_CHECKING:
    from workbench.workspace import WorkspaceStore

FILTERS_KEY = "wb.filters"
WHERE_KEY = "wb.where"
ERROR_KEY = "wb.filter_error"
COLUMN_KEY = "wb.new_filter.column"
OP_KEY = "wb.new_filter.op"
WHERE_INPUT_KEY = "wb.where_input"

# Text columns with few distinct values: their values are offered in a picker.
CATEGORICAL_COLUMNS = ("source", "split", "label", "chosen_position", "tag")
NUMERIC_OPS = (*COMPARISONS, "between", *SET_OPS, *RANK_OPS, *NULL_OPS)
BOOLEAN_OPS = ("=", "!=", *NULL_OPS)
TEXT_COLUMN_OPS = ("=", "!=", *SET_OPS, *TEXT_OPS, *NULL_OPS)
PLACEHOLDERS = {
    "between": "low, high",
    "in": "one, two, three",
    "not in": "one, two, three",
    "top k": "how many pairs, e.g. 20",
    "bottom k": "how many pairs, e.g. 20",
    "top %": "percent of pairs, e.g. 5",
    "bottom %": "percent of pairs, e.g. 5",
    "regex": "regular expression, e.g. ^Sure",
    "contains": "text (case ignored)",
    "not contains": "text (case ignored)",
}
OP_HELP = (
    "= != < <= > >= compare values; between takes 'low, high'; in / not in take a comma-separated list; "
    "contains / regex match text; top k / bottom k keep the k highest / lowest pairs by the column and "
    "top % / bottom % a share of them (empty values never count)."
)


# ---------------------------------------------------------------- the spec in session state

def current_spec() -> FilterSpec:
    filters = [Filter(**item) for item in st.session_state.get(FILTERS_KEY, [])]
    return FilterSpec(filters, st.session_state.get(WHERE_KEY) or None)


def set_spec(spec: FilterSpec) -> None:
    st.session_state[FILTERS_KEY] = [{"column": f.column, "op": f.op, "value": f.value} for f in spec.filters]
    st.session_state[WHERE_KEY] = spec.where or ""


def with_filters(spec: FilterSpec, new: list[Filter], *, replacing: tuple[str, ...] = ()) -> FilterSpec:
    """``spec`` plus ``new`` filters: earlier filters on the ``replacing`` columns dropped, each filter kept once."""
    kept = [f for f in spec.filters if f.column not in replacing]
    kept += [f for f in new if f not in kept]
    return FilterSpec(kept, spec.where)


def add_filters(new: list[Filter], *, replacing: tuple[str, ...] = ()) -> None:
    """Add structured filters to the shared filter state that Explore and Export read (see ``with_filters``)."""
    set_spec(with_filters(current_spec(), new, replacing=replacing))


def _try_apply(store: "WorkspaceStore", spec: FilterSpec) -> bool:
    """Apply ``spec`` if the workspace accepts it; else keep its error for the next render."""
    try:
        query.count(store, spec)
    except WorkbenchError as error:
        st.session_state[ERROR_KEY] = str(error)
        return False
    st.session_state.pop(ERROR_KEY, None)
    set_spec(spec)
    return True


# ---------------------------------------------------------------- values typed into the builder

def _number_or_text(text: str) -> Any:
    text = text.strip()
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def parse_value(op: str, raw: Any, numeric: bool) -> Any:
    """The filter value for what the user typed or picked; conversion errors are left to the filter
    compiler, which names the column and operator in its message."""
    if op in NULL_OPS:
        return None
    if isinstance(raw, list):
        return [_number_or_text(str(v)) if numeric else v for v in raw]
    text = "" if raw is None else str(raw)
    if op in RANK_OPS:
        return _number_or_text(text)
    if op == "between":
        parts = [p for p in text.replace(" and ", ",").replace(" AND ", ",").split(",")]
        return [_number_or_text(p) if numeric else p.strip() for p in parts]
    if op in SET_OPS:
        parts = [p.strip() for p in text.split(",") if p.strip()]
        return [_number_or_text(p) if numeric else p for p in parts]
    if numeric:
        return _number_or_text(text)
    return text


def is_numeric(kind: str) -> bool:
    """Whether a DuckDB column type is a number (the filter compiler converts values the same way)."""
    return is_numeric_type(kind)


def _ops_for(info: dict) -> tuple[str, ...]:
    kind = info["type"].upper()
    if is_numeric(kind):
        return NUMERIC_OPS
    if kind == "BOOLEAN":
        return BOOLEAN_OPS
    return TEXT_COLUMN_OPS


@st.cache_data(show_spinner=False, max_entries=64)
def _distinct_values(_store: "WorkspaceStore", folder: str, revision: int, column: str, column_sql: str) -> list[str]:
    frame = _store.sql_df(f"SELECT DISTINCT CAST({column_sql} AS VARCHAR) AS value FROM {_store.view_sql()} "
                          f"WHERE {column_sql} IS NOT NULL ORDER BY 1 LIMIT 500")
    return frame["value"].tolist()


def distinct_values(store: "WorkspaceStore", column: str) -> list[str]:
    info = store.available_columns()[column]
    return _distinct_values(store, str(state.workspace_folder()), state.revision(), column, info["sql"])


# ---------------------------------------------------------------- callbacks

def _add_filter(store: "WorkspaceStore", value_key: str, numeric: bool) -> None:
    column, op = st.session_state[COLUMN_KEY], st.session_state[OP_KEY]
    value = parse_value(op, st.session_state.get(value_key), numeric)
    spec = current_spec()
    _try_apply(store, FilterSpec([*spec.filters, Filter(column, op, value)], spec.where))


def _remove_filter(index: int) -> None:
    items = list(st.session_state.get(FILTERS_KEY, []))
    if 0 <= index < len(items):
        items.pop(index)
    st.session_state[FILTERS_KEY] = items
    st.session_state.pop(ERROR_KEY, None)


def _apply_where(store: "WorkspaceStore") -> None:
    text = (st.session_state.get(WHERE_INPUT_KEY) or "").strip()
    _try_apply(store, FilterSpec(current_spec().filters, text or None))


def _clear_where() -> None:
    st.session_state[WHERE_KEY] = ""
    st.session_state[WHERE_INPUT_KEY] = ""
    st.session_state.pop(ERROR_KEY, None)


def _clear_all() -> None:
    st.session_state[FILTERS_KEY] = []
    _clear_where()


# ---------------------------------------------------------------- widgets

def filter_chips(spec: FilterSpec, *, removable: bool) -> None:
    """The active filters, one chip each (a click on a removable chip drops that filter)."""
    if not spec.filters and not (spec.where and spec.where.strip()):
        st.caption("No filters: every pair in the workspace matches.")
        return
    with st.container(horizontal=True, gap="small"):
        for index, item in enumerate(spec.filters):
            if removable:
                st.button(item.describe(), key=f"wb.chip.{index}", icon=":material/close:", icon_position="right",
                          on_click=_remove_filter, args=(index,), help="Remove this filter")
            else:
                st.badge(item.describe(), color="blue")
        if spec.where and spec.where.strip():
            label = "WHERE " + " ".join(spec.where.split())
            label = label if len(label) <= 80 else label[:77] + "..."
            if removable:
                st.button(label, key="wb.chip.where", icon=":material/close:", icon_position="right",
                          on_click=_clear_where, help="Remove the WHERE condition")
            else:
                st.badge(label, color="violet")
        if removable:
            st.button("Clear all", key="wb.chip.clear", type="tertiary", on_click=_clear_all)


def filter_builder(store: "WorkspaceStore") -> FilterSpec:
    """Draw the builder (one new-filter row, chips, WHERE box) and return the applied FilterSpec."""
    columns = store.available_columns()
    names = list(columns)
    if st.session_state.get(COLUMN_KEY) not in columns:
        st.session_state[COLUMN_KEY] = "source"
    row = st.columns([3, 2, 4, 1.2], vertical_alignment="bottom")
    column = row[0].selectbox(
        "Column", names, key=COLUMN_KEY,
        format_func=lambda name: f"{name}  ({columns[name]['group']})" if columns[name]["group"] not in ("pair",) else name,
        help="Pair fields, your tags, and the per-pair columns of each analyzer's latest run (analyzer.column).")
    info = columns[column]
    ops = _ops_for(info)
    if st.session_state.get(OP_KEY) not in ops:
        st.session_state[OP_KEY] = ops[0]
    op = row[1].selectbox("Operator", ops, key=OP_KEY, help=OP_HELP)
    numeric = ops is NUMERIC_OPS
    value_key = f"wb.new_filter.value.{column}.{'set' if op in SET_OPS else 'one'}"
    with row[2]:
        if op in NULL_OPS:
            st.text_input("Value", value="", disabled=True, key="wb.new_filter.value.none",
                          placeholder="no value needed")
        elif info["type"].upper() == "BOOLEAN" and op in ("=", "!="):
            st.selectbox("Value", ["true", "false"], key=value_key)
        elif column in CATEGORICAL_COLUMNS and op in ("=", "!=", *SET_OPS):
            values = distinct_values(store, column)
            if op in SET_OPS:
                st.multiselect("Values", values, key=value_key, accept_new_options=True)
            else:
                st.selectbox("Value", values, key=value_key, accept_new_options=True,
                             placeholder="pick or type a value")
        else:
            st.text_input("Value", key=f"{value_key}.text", placeholder=PLACEHOLDERS.get(op, "value"))
            value_key = f"{value_key}.text"
    row[3].button("Add filter", key="wb.add_filter", type="primary", icon=":material/add:",
                  on_click=_add_filter, args=(store, value_key, numeric), width="stretch")
    st.caption(f"**{column}** ({info['type'].lower()}): {info['description']}")

    spec = current_spec()
    filter_chips(spec, removable=True)

    with st.expander("Advanced: SQL WHERE condition", expanded=bool(spec.where)):
        if WHERE_INPUT_KEY not in st.session_state:
            st.session_state[WHERE_INPUT_KEY] = spec.where or ""
        st.text_area(
            "WHERE", key=WHERE_INPUT_KEY, height=80,
            placeholder="basic.length_delta_words > 50 AND source = 'helpful'",
            help="One read-only SQL condition over the columns above (analyzer columns as analyzer.column), "
                 "ANDed with the filters. It may read only the workspace's tables; statements, table functions "
                 "and file reads are refused.")
        buttons = st.columns([1, 1, 6])
        buttons[0].button("Apply WHERE", key="wb.apply_where", on_click=_apply_where, args=(store,))
        buttons[1].button("Clear WHERE", key="wb.clear_where", on_click=_clear_where)
    if st.session_state.get(ERROR_KEY):
        st.error(st.session_state[ERROR_KEY], icon=":material/error:")
    return spec


def spec_json(spec: FilterSpec) -> str:
    return json.dumps(spec.as_dict(), ensure_ascii=False, indent=1, default=str)
