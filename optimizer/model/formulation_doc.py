"""docs/formulation.md, rendered from the docstrings of the registered families (so the two cannot drift).

    python -m optimizer.model.formulation_doc > docs/formulation.md

tests/model/test_formulation_doc.py fails when the file is not what this renders.
"""

from __future__ import annotations

import inspect

from optimizer.model import objective
from optimizer.model.registry import FAMILIES

HEADER = """# The formulation

Rendered from the docstrings of the model's families (`optimizer/model/`, one module per family,
listed in `optimizer/model/registry.py`) by `python -m optimizer.model.formulation_doc`; a test
checks that this file is current. Pyomo names: each family is one component of the model that
`reeopt.build_pyomo` returns, indexed in the instance's names.

| family | kind | Pyomo component | index |
|---|---|---|---|
"""


def _markdown(docstring: str) -> str:
    """RST math (``.. math::`` on one line or as an indented block) as ``$$ ... $$``; the rest as is."""
    lines, out, block = inspect.cleandoc(docstring).replace("\\\\", "\\").splitlines(), [], None
    for line in lines:
        if block is not None:
            if line.startswith("    ") or not line.strip():
                block.append(line.strip())
                continue
            out += ["$$", *[part for part in block if part], "$$", ""]
            block = None
        if line.strip().startswith(".. math::"):
            inline = line.split("::", 1)[1].strip()
            if inline:
                out += ["$$", inline, "$$"]
            else:
                block = []
            continue
        out.append(line)
    if block is not None:
        out += ["$$", *[part for part in block if part], "$$"]
    return "\n".join(out).strip() + "\n"


def render() -> str:
    table = "".join(
        f"| {spec.name} | {spec.kind} | `{spec.component}` | {', '.join(spec.index_names)} |\n" for spec in FAMILIES
    )
    sections, seen = [], set()
    for spec in FAMILIES:
        if spec.module.__name__ in seen:
            continue
        seen.add(spec.module.__name__)
        title = spec.module.__name__.rsplit(".", 1)[-1]
        sections.append(f"## {title} (`{spec.module.__name__}`)\n\n{_markdown(spec.doc)}")
    sections.append(f"## objective (`{objective.__name__}`)\n\n{_markdown(objective.__doc__ or '')}")
    return HEADER + table + "\n" + "\n".join(sections)


if __name__ == "__main__":
    print(render(), end="")
