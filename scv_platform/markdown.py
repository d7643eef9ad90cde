"""Markdown for asset metadata (no plotting library: a run that only shows a saved chart
does not load one)."""

import base64


def markdown_image(png: bytes, alt: str, caption: str) -> str:
    """A Markdown image with the PNG inline (base64 data URI), after a one-line caption."""
    encoded = base64.b64encode(png).decode("ascii")
    return f"{caption}\n\n![{alt}](data:image/png;base64,{encoded})"
