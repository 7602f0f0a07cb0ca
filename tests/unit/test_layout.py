"""The package is laid out by stage, its old paths still import (with a warning), and
no package reaches into another's private names."""

from __future__ import annotations

import ast
import importlib
import sys
import warnings
from pathlib import Path

import pytest

import scaling_lib
from scaling_lib import _moved

PACKAGE = Path(scaling_lib.__file__).parent
STAGES = ["spec", "run", "store", "workloads", "analysis", "simulate", "present", "notebook"]


def test_the_top_level_is_the_flow_and_a_few_modules():
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    assert packages == {*STAGES, "dashboard"}
    modules = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert modules == ["__init__.py", "_moved.py", "cli.py", "errors.py", "units.py"]


@pytest.mark.parametrize("old", sorted(_moved.MOVED_MODULES))
def test_each_old_path_imports_its_new_module_and_warns(old):
    names = _moved.MOVED_MODULES[old]
    news = [importlib.import_module(n) for n in ((names,) if isinstance(names, str) else names)]
    sys.modules.pop(old, None)
    with pytest.warns(DeprecationWarning, match=f"{old} has moved to {news[0].__name__}"):
        module = importlib.import_module(old)
    for new in news:
        for name in getattr(new, "__all__", ()):
            assert getattr(module, name) is getattr(new, name)
    sys.modules.pop(old, None)


def test_old_names_reach_the_renamed_objects_with_a_warning():
    from scaling_lib.present import what_if as present_what_if
    from scaling_lib.simulate import constants, what_if

    sys.modules.pop("scaling_lib.what_if", None)
    with pytest.warns(DeprecationWarning):
        import scaling_lib.what_if as old_what_if
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the module warned once, its names do not again
        assert old_what_if.simulate_study is what_if.what_if_study
        assert old_what_if.StudyReplayer is what_if.WhatIfModel
        assert old_what_if.simulation_text is present_what_if.what_if_text
    sys.modules.pop("scaling_lib.simulate.calibrate", None)
    with pytest.warns(DeprecationWarning):
        from scaling_lib.simulate.calibrate import Calibration, calibrate
    assert (Calibration, calibrate) == (constants.SimConstants, constants.measure_constants)
    with pytest.warns(DeprecationWarning, match="scaling_lib.simulate_study has moved"):
        assert scaling_lib.simulate_study is scaling_lib.what_if_study
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        _ = scaling_lib.nothing_here
    sys.modules.pop("scaling_lib.what_if", None)
    sys.modules.pop("scaling_lib.simulate.calibrate", None)


def _stage(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 2 else module


def test_no_package_imports_another_packages_private_names():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        here = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.ImportFrom) and node.level == 0 and node.module):
                continue
            if not node.module.startswith("scaling_lib.") or _stage(node.module) == _stage(here):
                continue
            private_module = any(p.startswith("_") for p in node.module.split(".")[1:])
            private_names = [a.name for a in node.names if a.name.startswith("_")]
            if private_module or private_names:
                offenders.append((here, node.module, private_names))
    assert offenders == []


def test_the_repository_uses_no_old_path():
    root = PACKAGE.parent
    old = sorted(_moved.MOVED_MODULES, key=len, reverse=True)
    files = [*root.glob("tests/**/*.py"), *root.glob("notebooks/*.py"), root / "README.md"]
    files += [*root.glob("benchmarks/*.py"), *root.glob("examples/*.py"), *PACKAGE.rglob("*.py")]
    found = []
    for path in files:
        if path.name in ("_moved.py", "test_layout.py"):
            continue
        text = path.read_text()
        for name in old:
            parent, leaf = name.rsplit(".", 1)
            uses = (f"{name}\n", f"{name} ", f"{name}.", f"from {parent} import {leaf}\n")
            if any(use in text for use in uses):
                found.append((str(path.relative_to(root)), name))
    assert found == []


# What each stage may import from the others (DESIGN: data moves forward only).
FORBIDDEN = {
    "store": {"spec", "run", "workloads", "analysis", "simulate", "present", "notebook"},
    "analysis": {"run", "store", "simulate", "present", "notebook", "dashboard", "cli"},
    "workloads": {"store", "analysis", "simulate", "present", "notebook", "dashboard", "cli"},
    "simulate": {"run", "present", "notebook", "dashboard", "cli"},
    "present": {"run", "notebook", "dashboard", "cli"},
    "dashboard": {"run", "notebook", "cli"},
    "units": {"spec", "run", "store", "workloads", "analysis", "simulate", "present"},
}


@pytest.mark.parametrize("stage", sorted(FORBIDDEN))
def test_each_stage_imports_only_what_comes_before_it(stage):
    paths = [PACKAGE / f"{stage}.py"] if stage == "units" else (PACKAGE / stage).rglob("*.py")
    seen = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                parts = node.module.split(".")
                if parts[0] == "scaling_lib" and len(parts) > 1:
                    seen.add(parts[1])
    assert seen & FORBIDDEN[stage] == set()
