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
