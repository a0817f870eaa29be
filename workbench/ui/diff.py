"""Word-level differences between two responses, as escaped HTML for the side-by-side view.

Words are compared with difflib on whitespace-separated tokens; each side keeps its own spacing and
line breaks. Every piece of text is HTML-escaped, so a response containing markup is shown, never run.
"""
from __future__ import annotations

import difflib
import html
import re

_TOKEN = re.compile(r"\S+|\s+")
# difflib is quadratic in the worst case; beyond this many words per side the view skips highlighting.
MAX_DIFF_WORDS = 6000

DIFF_STYLE = """
<style>
.wb-text { white-space: pre-wrap; word-wrap: break-word; font-family: "Source Sans Pro", sans-serif;
           font-size: 0.95rem; line-height: 1.5; padding: 0.6rem 0.8rem; border-radius: 0.5rem;
           border: 1px solid rgba(128,128,128,0.35); max-height: 28rem; overflow-y: auto; }
.wb-text.wb-prompt { max-height: 14rem; background: rgba(128,128,128,0.06); }
.wb-text ins.wb-only { background: rgba(33,195,84,0.28); text-decoration: none; border-radius: 0.2rem; }
.wb-text del.wb-only { background: rgba(255,75,75,0.28); text-decoration: none; border-radius: 0.2rem; }
.wb-empty { color: rgba(128,128,128,0.9); font-style: italic; }
</style>
"""


def _tokens(text: str) -> tuple[list[str], list[str]]:
    """(words, pieces): the words to compare, and for each word the text it owns (word + spacing after);
    pieces[0] may also carry leading spacing."""
    parts = _TOKEN.findall(text)
    words: list[str] = []
    pieces: list[str] = []
    leading = ""
    for part in parts:
        if part.isspace():
            if pieces:
                pieces[-1] += part
            else:
                leading += part
        else:
            words.append(part)
            pieces.append(part)
    if leading:
        if pieces:
            pieces[0] = leading + pieces[0]
        else:
            pieces.append(leading)
    return words, pieces


def _wrap(pieces: list[str], tag: str | None) -> str:
    text = "".join(pieces)
    if not tag or not text:
        return html.escape(text)
    # Keep trailing spacing outside the highlight so line ends are not coloured.
    stripped = text.rstrip()
    tail = text[len(stripped):]
    return f'<{tag} class="wb-only">{html.escape(stripped)}</{tag}>{html.escape(tail)}'


def word_diff_html(first: str, second: str) -> tuple[str, str]:
    """HTML for both texts: words only in ``first`` wrapped in <ins>, words only in ``second`` in <del>.

    (In the pair view ``first`` is the chosen response and ``second`` the rejected one.)
    """
    words_a, pieces_a = _tokens(first)
    words_b, pieces_b = _tokens(second)
    if len(words_a) > MAX_DIFF_WORDS or len(words_b) > MAX_DIFF_WORDS:
        return html.escape(first), html.escape(second)
    out_a: list[str] = []
    out_b: list[str] = []
    matcher = difflib.SequenceMatcher(None, words_a, words_b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            out_a.append(_wrap(pieces_a[i1:i2], None))
            out_b.append(_wrap(pieces_b[j1:j2], None))
            continue
        if i2 > i1:
            out_a.append(_wrap(pieces_a[i1:i2], "ins"))
        if j2 > j1:
            out_b.append(_wrap(pieces_b[j1:j2], "del"))
    # Text that is only whitespace has no words; keep it as it is.
    if not words_a:
        out_a = [html.escape(first)]
    if not words_b:
        out_b = [html.escape(second)]
    return "".join(out_a), "".join(out_b)


def text_block(inner_html: str, *, css_class: str = "") -> str:
    """A scrollable pre-wrapped box around already-escaped HTML."""
    if not inner_html.strip():
        inner_html = '<span class="wb-empty">(empty)</span>'
    return f'<div class="wb-text {css_class}">{inner_html}</div>'


def changed_word_counts(first: str, second: str) -> tuple[int, int]:
    """(words only in first, words only in second) by the same diff the view highlights."""
    words_a, words_b = first.split(), second.split()
    only_a = only_b = 0
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, words_a, words_b, autojunk=False).get_opcodes():
        if tag != "equal":
            only_a += i2 - i1
            only_b += j2 - j1
    return only_a, only_b
