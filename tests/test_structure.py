"""Package structure rules the engine redesign set: short functions, no import cycle, one definition per fact."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "paperlib"
MAX_FUNCTION_LINES = 60


def _modules():
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(PKG.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield ".".join(parts), path, ast.parse(path.read_text())


def _resolve(module: str, path: Path, node: ast.ImportFrom) -> list[str]:
    """Absolute names of the paperlib modules an ``import from`` statement reaches."""
    if node.level:
        base = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module or ""
    if not target.startswith("paperlib"):
        return []
    return [target] + [f"{target}.{a.name}" for a in node.names]


def import_graph() -> dict[str, set[str]]:
    """Module -> paperlib modules it imports, at module level *or* inside functions (lazy imports count)."""
    mods = {name: (path, tree) for name, path, tree in _modules()}
    graph = {}
    for name, (path, tree) in mods.items():
        deps = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                deps |= {t for t in _resolve(name, path, node) if t in mods and t != name}
            elif isinstance(node, ast.Import):
                deps |= {a.name for a in node.names if a.name in mods and a.name != name}
        # a package's own submodules importing the package __init__ is not a cycle we care about
        graph[name] = {d for d in deps if not name.startswith(d + ".")}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state, stack = {}, []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for d in sorted(graph.get(n, ())):
            if d.startswith(n + "."):  # a package importing its own submodules
                continue
            if state.get(d) == 1:
                return stack[stack.index(d) :] + [d]
            if d not in state:
                found = visit(d)
                if found:
                    return found
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if n not in state:
            found = visit(n)
            if found:
                return found
    return None


def test_find_cycle_detects_a_cycle_in_the_real_graph():
    """The guard below can fail: one back edge added to the package's own import graph is found."""
    graph = import_graph()
    assert "paperlib.config" in graph["paperlib.cli"] or any(
        "paperlib.config" in graph[d] for d in graph["paperlib.cli"]
    ), "cli should reach config"
    graph["paperlib.config"] = graph["paperlib.config"] | {"paperlib.cli"}
    cycle = find_cycle(graph)
    assert cycle is not None and cycle[0] == cycle[-1] and "paperlib.cli" in cycle and "paperlib.config" in cycle


def test_no_import_cycle_in_the_package():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def body_lines(node) -> int:
    """Lines of a function's body, from its first statement after the docstring to its end: the signature (which
    the formatter lays out one argument per line) and the docstring are not what a reader must hold in view."""
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
        body = body[1:] or body
    return node.end_lineno - body[0].lineno + 1


def test_no_function_longer_than_60_lines():
    long = [
        f"{path.relative_to(PKG.parent)}:{node.lineno} {node.name} ({body_lines(node)} lines)"
        for _, path, tree in _modules()
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and body_lines(node) > MAX_FUNCTION_LINES
    ]
    assert not long, "functions over 60 lines:\n" + "\n".join(long)


@pytest.mark.parametrize("fact", ["SPLITS", "LUNG_WINDOW", "SCHEDULES", "PROFILES", "CLAIMS", "EVIDENCE"])
def test_each_fact_is_defined_once(fact):
    where = [
        f"{path.relative_to(PKG.parent)}:{node.lineno}"
        for _, path, tree in _modules()
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == fact for t in node.targets)
    ]
    assert len(where) <= 1, f"{fact} defined {len(where)} times: {where}"


@pytest.mark.parametrize(
    "concept",
    [
        "sha256_file",
        "t_interval",
        "paired_verdict",
        "share_above",
        "power_spectrum",
        "write_prepared",
        "read_prepared",
        "evaluation_key",
        "replace_readme_block",
        "cached_evaluation",
        "count_flops",
        "train_step_flops",
        "band_shares",
        "profile_trainings",
        "fan_out",
        "active_cap",
        "seconds_per_step",
        "protocol_pair",
    ],
)
def test_each_concept_is_implemented_once(concept):
    """One concept, one place: a function of this name is defined in exactly one module of the package."""
    where = [
        f"{path.relative_to(PKG.parent)}:{node.lineno}"
        for _, path, tree in _modules()
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and node.name == concept
    ]
    assert len(where) == 1, f"{concept} defined {len(where)} times: {where}"


def test_only_the_stats_module_computes_intervals_or_verdicts():
    """The one statistical rule: no module but paperlib/stats.py calls a t quantile or defines a verdict rule."""
    offenders = []
    for name, path, tree in _modules():
        if name == "paperlib.stats":
            continue
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in ("ppf", "interval")
                and isinstance(node.value, ast.Attribute)
                and node.value.attr == "t"
            ):
                offenders.append(f"{path.name}:{node.lineno} t.{node.attr}")
            if isinstance(node, ast.FunctionDef) and node.name in ("verdict", "_verdict", "seed_noise", "_spread"):
                offenders.append(f"{path.name}:{node.lineno} def {node.name}")
    assert not offenders, offenders


def test_schedule_fields_are_used():
    """``PaperSchedule.loss`` drives the loss; ``TrainPlan`` declares nothing it ignores."""
    from dataclasses import fields

    from paperlib.profiles import TrainPlan
    from paperlib.train import _loss_fn

    assert "extra" not in {f.name for f in fields(TrainPlan)}
    import torch

    a, b = torch.zeros(4), torch.full((4,), 2.0)
    assert _loss_fn("l1")(a, b).item() == 2.0 and _loss_fn("l2")(a, b).item() == 4.0
    with pytest.raises(ValueError, match="unknown loss"):
        _loss_fn("ssim")


def test_environment_yml_lists_every_requirement_of_pyproject():
    """environment.yml repeats pyproject's requirements (conda/binder users); this keeps the two from drifting."""
    import re

    from paperlib.config import REPO_ROOT

    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
    proj = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    reqs = proj["dependencies"] + [r for group in proj["optional-dependencies"].values() for r in group]
    name = lambda r: re.split(r"[<>=!~\[ ;]", r.strip(), maxsplit=1)[0].lower().replace("_", "-")  # noqa: E731
    env = {
        name(line.strip()[2:])
        for line in (REPO_ROOT / "environment.yml").read_text().splitlines()
        if line.strip().startswith("- ") and not line.strip().startswith("- pip:")
    }
    missing = sorted({name(r) for r in reqs} - env)
    assert not missing, f"environment.yml lacks {missing}"


def test_one_prepared_data_type():
    """Every data set is prepared into the one type, :class:`paperlib.data.cache.Prepared` (there were two)."""
    where = [
        f"{path.relative_to(PKG.parent)}:{node.name}"
        for _, path, tree in _modules()
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef) and node.name.startswith("Prepared")
    ]
    assert where == ["paperlib/data/cache.py:Prepared"], where
