"""The registry: every command, collected from the `@command` declarations of the area modules.

`SPECS[area][action]` is the one definition of a command (aliases, options, arguments,
permission rule, handler). The parser reads its grammar from here and the core its handler.
Collecting is explicit and happens once, here: the decorator itself registers nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import ModuleType

from handlers import help as help_area
from handlers import milestones, planning, projects, retros, risks, standups, tasks
from handlers.grammar import AREA_ALIASES, HELP_ALIASES, Spec, spec_of

__all__ = ["AREA_MODULES", "SPECS", "collect"]

AREA_MODULES: tuple[ModuleType, ...] = (projects, tasks, milestones, planning, risks, standups, retros, help_area)


def collect(modules: Iterable[ModuleType]) -> dict[str, dict[str, Spec]]:
    """Every command declared in `modules`, by area and action, plus `/area help` for each area.
    Two declarations of the same command are an error, not a silent override."""
    specs: dict[str, dict[str, Spec]] = {area: {} for area in AREA_ALIASES}
    for module in modules:
        for obj in vars(module).values():
            spec = spec_of(obj)
            if spec is None:
                continue
            known = specs[spec.area].get(spec.action)
            if known is not None and known is not spec:
                raise ValueError(f"/{spec.area} {spec.action} is declared twice")
            specs[spec.area][spec.action] = spec
    for area, actions in specs.items():
        if area != "help":
            actions["help"] = Spec(area, "help", HELP_ALIASES, help_area.area_help_command, rule=None)
    return specs


SPECS = collect(AREA_MODULES)
