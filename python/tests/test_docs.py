"""Every docstring example runs and gives what it shows."""

import doctest
import sys

import pytest

import pidquery
from pidquery import _pidquery, libproc

FLAGS = doctest.ELLIPSIS | doctest.IGNORE_EXCEPTION_DETAIL


def documented():
    objects = [("pidquery", pidquery), ("pidquery.libproc", libproc)]
    for name in pidquery.__all__:
        objects.append(("pidquery." + name, getattr(pidquery, name)))
    for name in libproc.__all__:
        objects.append(("pidquery.libproc." + name, getattr(libproc, name)))
    return objects


@pytest.mark.skipif(sys.platform != "linux", reason="the examples show Linux answers")
@pytest.mark.parametrize("name,obj", documented(), ids=lambda x: x if isinstance(x, str) else "")
def test_examples(name, obj):
    parser = doctest.DocTestParser()
    globs = dict(getattr(obj, "__globals__", {}))
    test = parser.get_doctest(obj.__doc__ or "", globs, name, None, 0)
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    runner.run(test)
    assert runner.failures == 0


def test_public_items_have_examples():
    without = [
        name
        for name, obj in documented()
        if callable(obj) and ">>>" not in (obj.__doc__ or "") and not name.endswith(
            ("PidIter", "Fd", "Flag")
        ) and "get_" not in name
    ]
    assert without == []
