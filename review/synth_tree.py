"""Synthesizes every stage of one source tree, in one process: `python synth_tree.py TREE OUTDIR`.

Run as a script (not `-m`), so that TREE's own `stacks` and `lambda_src` are imported, whichever
checkout the interpreter's editable install points at: the base of a diff is an older commit.
Writes OUTDIR/<stage>.template.json for each stage, and OUTDIR/stages.json listing them.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path


def synth_tree(tree: Path, outdir: Path) -> dict[str, str]:
    """Every stage of `tree` synthesized with `tree`'s cdk.json context; returns {stage: file}."""
    # In front of the editable install's finder (it sits after the path finder on meta_path).
    sys.path[:0] = [str(tree), str(tree / "lambda_src")]
    app_module = importlib.import_module("stacks.app")
    settings_module = importlib.import_module("stacks.settings")
    if not Path(app_module.__file__ or "").resolve().is_relative_to(tree.resolve()):
        raise RuntimeError(f"stacks.app was imported from {app_module.__file__}, not from {tree}")
    # The committed context the CLI reads in the tree: cdk.json's, then cdk.context.json's.
    context = json.loads((tree / "cdk.json").read_text())["context"]
    cached = tree / "cdk.context.json"
    if cached.is_file():
        context = {**context, **json.loads(cached.read_text())}
    written: dict[str, str] = {}
    for stage in sorted(settings_module.STAGES):
        app, stack = app_module.build_app(stage, context=context, outdir=str(outdir / stage))
        template = app.synth().get_stack_artifact(stack.artifact_id).template
        target = outdir / f"{stage}.template.json"
        target.write_text(json.dumps(template, indent=1, sort_keys=True))
        written[stage] = target.name
    (outdir / "stages.json").write_text(json.dumps(written, indent=1))
    return written


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: synth_tree.py TREE OUTDIR", file=sys.stderr)
        return 2
    tree, outdir = Path(argv[0]), Path(argv[1])
    outdir.mkdir(parents=True, exist_ok=True)
    synth_tree(tree, outdir)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
