"""Where a stage's synth time goes, phase by phase, against the bare one-table app.

    python -m bench.synth_breakdown [--runs N] [--stage NAME]

Each run is a fresh interpreter (as each `cdk synth` starts one) that times its own phases and
prints them as JSON; the figures are medians over runs, the stage and the baseline interleaved.
The phases cover the app's process (Python and the jsii kernel it drives), not the CDK CLI around
it, which is the same for both. `make bench` records them with the synth part.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

from stacks.context import cdk_json_context

PROJECT_ROOT: Final = Path(__file__).resolve().parent.parent
BASELINE: Final = "baseline"
WITHOUT_NAG: Final = "without-nag"


# What each phase covers, as bench/README.md names it (build_<unit>: one construct of the stack).
PHASE_LABELS: Final = MappingProxyType(
    {
        "import_aws_cdk": "import aws_cdk (starts the jsii kernel)",
        "import_cdk_nag": "import cdk_nag (loads its assembly)",
        "import_app_modules": "import the app's other modules (aws_cdk services)",
        "app": "App",
        "build": "build the stack",
        "register_nag_packs": "register cdk-nag's packs",
        "synth": "synth (validation plugins, template, asset, assembly)",
        "total": "total",
    }
)


def label(phase: str) -> str:
    if phase.startswith("build_"):
        return f"build: {phase.removeprefix('build_')}"
    return PHASE_LABELS.get(phase, phase)


class _Phases:
    """Wall time of consecutive phases of this process."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.seconds[name] = self.seconds.get(name, 0.0) + now - self._last
        self._last = now


def _timed_units(module: Any, seconds: dict[str, float]) -> None:
    """Time each construct the stack module composes (a subclass that only times __init__)."""
    from constructs import Construct

    for name, unit in list(vars(module).items()):
        if (
            isinstance(unit, type)
            and issubclass(unit, Construct)
            and unit.__module__.startswith("stacks.")
            and unit.__module__ != module.__name__
        ):
            label = f"build_{unit.__module__.removeprefix('stacks.')}"

            def __init__(
                self: Any, *args: Any, _unit: Any = unit, _label: str = label, **kwargs: Any
            ) -> None:
                started = time.perf_counter()
                _unit.__init__(self, *args, **kwargs)
                seconds[_label] = seconds.get(_label, 0.0) + time.perf_counter() - started

            setattr(module, name, type(name, (unit,), {"__init__": __init__}))


def _stage_phases(stage: str, outdir: str, *, nag: bool) -> dict[str, float]:
    phases = _Phases()
    import aws_cdk as cdk

    phases.lap("import_aws_cdk")
    import cdk_nag  # noqa: F401

    phases.lap("import_cdk_nag")
    import stacks.messaging_stack
    from stacks.app import add_nag_checks, stack_settings

    phases.lap("import_app_modules")
    app = cdk.App(context=cdk_json_context(PROJECT_ROOT), outdir=outdir)
    phases.lap("app")
    settings = stack_settings(app, stage)
    units: dict[str, float] = {}
    _timed_units(stacks.messaging_stack, units)
    stacks.messaging_stack.MessagingStack(
        app, stacks.messaging_stack.stack_name(settings.name), settings=settings
    )
    phases.lap("build")
    phases.seconds.update(units)
    if nag:
        add_nag_checks(app)
        phases.lap("register_nag_packs")
    app.synth()
    phases.lap("synth")
    return phases.seconds


def _baseline_phases(outdir: str) -> dict[str, float]:
    phases = _Phases()
    import aws_cdk as cdk

    phases.lap("import_aws_cdk")
    from bench.baseline.app import add_table

    phases.lap("import_app_modules")
    app = cdk.App(context=cdk_json_context(PROJECT_ROOT), outdir=outdir)
    phases.lap("app")
    add_table(app)
    phases.lap("build")
    app.synth()
    phases.lap("synth")
    return phases.seconds


def _child(target: str, outdir: str) -> None:
    if target == BASELINE:
        phases = _baseline_phases(outdir)
    else:
        stage = target.removesuffix(f"-{WITHOUT_NAG}")
        phases = _stage_phases(stage, outdir, nag=stage == target)
    print(json.dumps(phases))


def measure_breakdown(
    runs: int, *, stage: str, scratch: Path, env: dict[str, str]
) -> dict[str, dict[str, float]]:
    """Median seconds of each phase, {phase: {target: s}}, over `runs` interleaved fresh
    interpreters of each target: the stage, the stage without cdk-nag's packs, the baseline."""
    targets = (stage, f"{stage}-{WITHOUT_NAG}", BASELINE)
    samples: dict[str, list[dict[str, float]]] = {target: [] for target in targets}
    for run in range(runs):
        for target in targets:
            outdir = scratch / f"breakdown-{target}-{run}"
            result = subprocess.run(
                [sys.executable, "-m", "bench.synth_breakdown", "--child", target, str(outdir)],
                cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=False,
            )  # fmt: skip
            if result.returncode != 0:
                raise RuntimeError(f"synth breakdown of {target} failed:\n{result.stderr[-2000:]}")
            samples[target].append(json.loads(result.stdout.strip().splitlines()[-1]))
    names = list(dict.fromkeys(name for sample in samples[stage] for name in sample))
    phases: dict[str, dict[str, float]] = {}
    for name in names:
        phases[name] = {
            target: round(statistics.median(sample.get(name, 0.0) for sample in runs_of), 3)
            for target, runs_of in samples.items()
        }
    phases["total"] = {
        target: round(statistics.median(sum(sample.values()) for sample in runs_of), 3)
        for target, runs_of in samples.items()
    }
    return phases


def table(phases: Mapping[str, Mapping[str, float]]) -> tuple[list[str], list[list[Any]]]:
    """Header and rows of the phases table: one row a phase, one column a target."""
    targets = list(next(iter(phases.values())))
    rows = [[label(name), *(values[t] for t in targets)] for name, values in phases.items()]
    return ["phase", *(f"{t} s" for t in targets)], rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--stage", default="dev")
    parser.add_argument("--child", nargs=2, metavar=("TARGET", "OUTDIR"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(*args.child)
        return 0
    from bench import measure, tables

    with measure.scratch_dir() as scratch:
        phases = measure_breakdown(
            args.runs, stage=args.stage, scratch=Path(scratch), env=measure.toolchain_env()
        )
    print("\n".join(tables.markdown_table(*table(phases))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
