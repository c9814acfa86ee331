"""What the executed chapter notebooks glued: the text each glue name shows, per chapter."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

RECORD = "application/papermill.record/text/plain"


def glued(folder: Path) -> dict[str, dict[str, str]]:
    """{chapter: {glue name: its text}} of every executed chapter notebook (``NN_*.ipynb``) in ``folder``."""
    out = {}
    for nb in sorted(Path(folder).glob("[0-9][0-9]_*.ipynb")):
        names = out.setdefault(nb.stem, {})
        for cell in json.loads(nb.read_text())["cells"]:
            for o in cell.get("outputs", []):
                name = o.get("metadata", {}).get("scrapbook", {}).get("name")
                if name and RECORD in o.get("data", {}):
                    names[name] = o["data"][RECORD]
    return out


def shared(glues: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """{name: {chapter: text}} of the names glued in more than one chapter."""
    by_name = defaultdict(dict)
    for chapter, names in glues.items():
        for name, text in names.items():
            by_name[name][chapter] = text
    return {n: c for n, c in by_name.items() if len(c) > 1}
