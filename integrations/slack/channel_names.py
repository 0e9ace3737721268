"""Names for incident channels: `inc-<id>-<slug-of-title>`, always a name Slack accepts."""

from __future__ import annotations

import re
import unicodedata

# Slack: lowercase letters, digits, hyphens and underscores, at most 80 characters.
MAX_CHANNEL_NAME = 80
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(text: str) -> str:
    """Lowercase ASCII words joined by single hyphens ("Checkout: 5xx on EU!" -> "checkout-5xx-on-eu")."""
    # NFKD then ASCII drops accents ("Café" -> "cafe") instead of dropping the whole letter.
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _NOT_SLUG.sub("-", ascii_text.lower()).strip("-")


def incident_channel_name(incident_id: int, title: str) -> str:
    """The incident's channel name: `inc-<id>-<slug>`, cut on a word boundary to fit 80 characters."""
    prefix = f"inc-{incident_id}"
    slug = slugify(title)
    room = MAX_CHANNEL_NAME - len(prefix) - 1
    if len(slug) > room:
        cut = slug[:room]
        # Prefer ending on a whole word; fall back to a hard cut for one very long word.
        slug = cut.rsplit("-", 1)[0] if "-" in cut and slug[room] != "-" else cut
        slug = slug.strip("-")
    return f"{prefix}-{slug}" if slug else prefix


def with_suffix(name: str, n: int) -> str:
    """`name-n`, shortening `name` so the result still fits Slack's limit (used after name_taken)."""
    suffix = f"-{n}"
    return name[: MAX_CHANNEL_NAME - len(suffix)].rstrip("-") + suffix
