"""What `make synth` wrote: one line per stack of a cloud assembly, read from its manifest.

python -m stacks.assembly [OUTDIR]     (default cdk.out)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

STACK_ARTIFACT = "aws:cloudformation:stack"


def summary(outdir: Path) -> list[str]:
    """`wrote <template> (<stack>: N resources, K KB)` for each stack template in `outdir`."""
    manifest: dict[str, Any] = json.loads((outdir / "manifest.json").read_text())
    lines = []
    for name, artifact in sorted(manifest.get("artifacts", {}).items()):
        if artifact.get("type") != STACK_ARTIFACT:
            continue
        template = outdir / artifact["properties"]["templateFile"]
        resources = json.loads(template.read_text()).get("Resources", {})
        size_kb = template.stat().st_size / 1024
        lines.append(
            f"wrote {template} ({name}: {len(resources)} resources, {size_kb:.0f} KB); "
            f"its assets beside it in {outdir}/"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    outdir = Path(args[0] if args else "cdk.out")
    try:
        lines = summary(outdir)
    except (OSError, ValueError, KeyError) as error:
        print(f"error: no cloud assembly in {outdir}/ ({error})", file=sys.stderr)
        return 1
    print("\n".join(lines) if lines else f"{outdir}/ holds no stack template")
    return 0


if __name__ == "__main__":
    sys.exit(main())
