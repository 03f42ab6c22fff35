"""Regenerate `schemas/` (JSON Schemas of the wire models and the AsyncAPI document) from the code."""

from __future__ import annotations

from pathlib import Path

from screening.schemas import asyncapi_document, json_schemas, render

ROOT = Path(__file__).resolve().parent.parent / "schemas"


def main() -> None:
    """Write every generated document into schemas/."""
    ROOT.mkdir(exist_ok=True)
    for name, schema in json_schemas().items():
        (ROOT / name).write_text(render(schema), encoding="utf-8")
    (ROOT / "asyncapi.json").write_text(render(asyncapi_document()), encoding="utf-8")
    print(f"wrote {len(json_schemas()) + 1} documents to {ROOT}")


if __name__ == "__main__":
    main()
