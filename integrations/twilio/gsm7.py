"""GSM-7 text for SMS: keep a page in one or two segments.

A single character outside the GSM 03.38 alphabet (a curly quote, an emoji) switches the whole message
to UCS-2, where a segment holds 70 characters instead of 160: a two-segment page becomes five. So every
page is cleaned to GSM-7 first, and its length is measured in septets the way carriers count them.
"""

from __future__ import annotations

import unicodedata
from typing import Callable

# GSM 03.38 basic set (ESC 0x1B left out: it only introduces the extension table).
BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table: each costs two septets (ESC + code). Form feed left out on purpose.
EXTENSION = frozenset("^{}\\[~]|€")

SINGLE_SEGMENT_SEPTETS = 160
# A concatenated segment loses 7 septets to its user data header.
MULTI_SEGMENT_SEPTETS = 153
MAX_SEGMENTS = 2
ELLIPSIS = "..."
# How many characters a cut may give back to end on a whole word.
_WORD_SLACK = 12

# Common non-GSM characters that have an obvious GSM spelling (typographic quotes, dashes...).
_REPLACEMENTS = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u00b4": "'", "`": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
    "\u2026": "...", "\u2022": "*", "\u00b7": "*", "\u00d7": "x", "\u00f7": "/", "\u2192": "->",
    "\u2190": "<-", "\u2264": "<=", "\u2265": ">=", "\u2260": "!=", "\u00a9": "(c)", "\u00ae": "(R)",
    "\u2122": "TM", "\u00b0": "deg", "\t": " ", "\u00a0": " ", "\u2009": " ", "\u200b": "",
}


def to_gsm7(text: str) -> str:
    """Return `text` spelled in GSM-7 only: known look-alikes replaced, accents dropped, the rest '?'."""
    out: list[str] = []
    for char in text:
        if char in BASIC or char in EXTENSION:
            out.append(char)
        elif char in _REPLACEMENTS:
            out.append(_REPLACEMENTS[char])
        else:
            out.append(_fold(char))
    return "".join(out)


def _fold(char: str) -> str:
    """Strip accents (ç -> c, ô -> o); anything still outside GSM-7 becomes '?'."""
    if unicodedata.category(char).startswith("Z"):
        return " "
    if unicodedata.category(char) in ("Cc", "Cf"):
        return ""
    base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    if base and all(c in BASIC or c in EXTENSION for c in base):
        return base
    return "?"


def is_gsm7(text: str) -> bool:
    """True when every character of `text` can be sent in GSM-7."""
    return all(c in BASIC or c in EXTENSION for c in text)


def septets(text: str) -> int:
    """How many 7-bit units `text` takes (extension characters count two)."""
    return sum(2 if c in EXTENSION else 1 for c in text)


def segments(text: str) -> int:
    """How many SMS segments a GSM-7 `text` is sent as.

    An escape pair is never split across two segments, so a segment may carry 152 septets.
    """
    if septets(text) <= SINGLE_SEGMENT_SEPTETS:
        return 1
    count, used = 1, 0
    for char in text:
        size = 2 if char in EXTENSION else 1
        if used + size > MULTI_SEGMENT_SEPTETS:
            count, used = count + 1, 0
        used += size
    return count


def fits(text: str, max_segments: int = MAX_SEGMENTS) -> bool:
    """True when `text` is pure GSM-7 and goes out in at most `max_segments` segments."""
    return is_gsm7(text) and segments(text) <= max_segments


def shorten(text: str, limit: int) -> str:
    """Cut `text` to at most `limit` septets, at a word boundary when one is near, ending in '...'."""
    if septets(text) <= limit:
        return text
    if limit < len(ELLIPSIS) + 1:
        return ""
    budget = limit - len(ELLIPSIS)
    kept: list[str] = []
    for char in text:
        size = 2 if char in EXTENSION else 1
        if size > budget:
            break
        kept.append(char)
        budget -= size
    cut = "".join(kept)
    space = cut.rfind(" ")
    if space >= max(1, len(cut) - _WORD_SLACK):  # do not lose more than a short word to the boundary
        cut = cut[:space]
    return cut.rstrip(" .,;:-") + ELLIPSIS


def largest_fitting(build: Callable[[int], str], upper: int, max_segments: int = MAX_SEGMENTS) -> int:
    """The largest n in [0, upper] for which `build(n)` fits (-1 if not even `build(0)` does).

    `build` must grow with n (a longer title allowance never gives a shorter message): binary search.
    """
    if not fits(build(0), max_segments):
        return -1
    low, high = 0, upper
    while low < high:
        mid = (low + high + 1) // 2
        if fits(build(mid), max_segments):
            low = mid
        else:
            high = mid - 1
    return low
