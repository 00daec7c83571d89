"""Write one benchmark's section of RESULTS.md between its markers, leaving the rest alone."""

from __future__ import annotations

import re
from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")


def write_section(name: str, markdown: str) -> None:
    text = RESULTS.read_text()
    start, end = f"<!-- section:{name} -->", f"<!-- /section:{name} -->"
    body = f"{start}\n{markdown.strip()}\n{end}"
    if start in text:
        text = re.sub(re.escape(start) + r".*?" + re.escape(end), lambda _m: body, text, flags=re.S)
    else:
        text = text.rstrip() + "\n\n" + body + "\n"
    RESULTS.write_text(text)
