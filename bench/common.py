"""Benchmark results, printed as ratios against a baseline measured in the same run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.console import Console
from rich.table import Table


@dataclass(frozen=True)
class Figure:
    """One measured figure. ``higher_is_better`` decides how the target is read.

    ``baseline`` is the peer measured in the same run (None when the target is absolute);
    ``target`` is a bound on ``value / baseline`` (or on ``value`` when there is no baseline).
    """

    name: str
    value: float
    unit: str
    baseline: float | None = None
    baseline_name: str = ""
    target: float | None = None
    higher_is_better: bool = True

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.baseline == 0:
            return None
        return self.value / self.baseline

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return None
        measured = self.ratio if self.baseline is not None else self.value
        if measured is None:
            return None
        return measured >= self.target if self.higher_is_better else measured <= self.target


Benchmark = Callable[[], list[Figure]]


def report(figures: list[Figure], console: Console | None = None) -> None:
    table = Table(title="syncline benchmarks")
    for col in ("figure", "value", "baseline", "ratio", "target", "met"):
        table.add_column(col)
    for f in figures:
        base = f"{f.baseline:,.3f} {f.unit} ({f.baseline_name})" if f.baseline is not None else "-"
        ratio = f"{f.ratio:.2f}x" if f.ratio is not None else "-"
        op = ">=" if f.higher_is_better else "<="
        target = (
            f"{op} {f.target:g}" + ("x" if f.baseline is not None else f" {f.unit}")
            if f.target is not None
            else "-"
        )
        met = {None: "-", True: "yes", False: "NO"}[f.met]
        table.add_row(f.name, f"{f.value:,.3f} {f.unit}", base, ratio, target, met)
    (console or Console()).print(table)
