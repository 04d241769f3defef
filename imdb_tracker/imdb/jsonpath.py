"""Walk dotted paths through parsed JSON, failing with :class:`LayoutChanged` when IMDb moved something."""

from __future__ import annotations

from typing import Any

from imdb_tracker.imdb.errors import LayoutChanged


def require(
    obj: Any, path: str, *, kind: type | tuple[type, ...] | None = None, prefix: str = "", url: str = ""
) -> Any:
    """Return the value at dotted ``path`` inside ``obj`` or raise :class:`LayoutChanged`.

    A key that is absent or ``null`` counts as missing; the error names the first missing dotted
    path (``prefix`` is prepended, e.g. ``props.pageProps.contentData.reviews[3]``). With ``kind``
    the value must also be an instance of that type.
    """
    current = obj
    walked = prefix
    for part in path.split("."):
        walked = f"{walked}.{part}" if walked else part
        if not isinstance(current, dict) or current.get(part) is None:
            raise LayoutChanged(walked, url)
        current = current[part]
    if kind is not None and not isinstance(current, kind):
        raise LayoutChanged(f"{walked} (unexpected {type(current).__name__})", url)
    return current


def lookup(obj: Any, path: str, default: Any = None) -> Any:
    """Return the value at dotted ``path`` inside ``obj``, or ``default`` when any step is missing."""
    current = obj
    for part in path.split("."):
        if not isinstance(current, dict) or current.get(part) is None:
            return default
        current = current[part]
    return current
