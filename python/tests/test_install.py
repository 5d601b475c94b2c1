"""The suite tests the installed package, not the source tree."""

import os
import sys

import pidquery
from pidquery import _pidquery


def test_tests_the_installed_package():
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    assert not os.path.abspath(pidquery.__file__).startswith(here + os.sep), (
        "imported the source tree at %s, not the installed package" % pidquery.__file__
    )
    assert _pidquery.__file__.endswith((".so", ".pyd"))


def test_abi3_and_typed():
    pkg = os.path.dirname(pidquery.__file__)
    assert ".abi3." in os.path.basename(_pidquery.__file__) or sys.platform == "win32"
    for name in ("py.typed", "_pidquery.pyi", "libproc.pyi"):
        assert os.path.exists(os.path.join(pkg, name)), name


def test_stubs_name_what_the_module_has():
    import ast

    pkg = os.path.dirname(pidquery.__file__)
    with open(os.path.join(pkg, "_pidquery.pyi")) as f:
        tree = ast.parse(f.read())
    stubbed = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            stubbed.add(node.name)
        elif isinstance(node, ast.AnnAssign):
            stubbed.add(node.target.id)
    public = {n for n in dir(_pidquery) if not n.startswith("_")}
    if sys.platform != "darwin":
        stubbed.discard("proc_info_raw")
    assert public == stubbed
    for cls in ("ProcInfo", "Identity", "Watch", "Query", "Fd"):
        members = {n for n in dir(getattr(_pidquery, cls)) if not n.startswith("_")}
        node = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == cls)
        declared = {n.name for n in node.body if isinstance(n, ast.FunctionDef) and not n.name.startswith("_")}
        assert members == declared, cls
