"""docs/capacity.md is the capacity model's output: regenerated, it is the same file."""

from __future__ import annotations

from tools.capacity_model import doc


def test_the_document_is_what_the_model_writes() -> None:
    assert doc.DOC.read_text(encoding="utf-8") == doc.render(), (
        "docs/capacity.md is stale: run `python -m tools.capacity_model.doc`"
    )


def test_the_document_follows_the_bench_figure_it_quotes() -> None:
    """The processor's throughput is a bench result: another figure changes the invocations."""
    assert doc.render(per_invocation=1.0) != doc.render(per_invocation=1_000.0)
    assert "needs 10,000" in doc.render(per_invocation=1.0)
