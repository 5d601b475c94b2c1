"""The original libproc 0.2's own smoke tests and its `listpids` example,
run on pidquery.libproc.

The original's sources are not part of this repository (LGPL-3): .ci/python
downloads the release and names its directory in PIDQUERY_ORIGINAL_LIBPROC.
"""

import os
import subprocess
import sys
import textwrap

import pytest

import pidquery
from conftest import linux_only

ORIGINAL = os.environ.get("PIDQUERY_ORIGINAL_LIBPROC")

pytestmark = [
    linux_only,
    pytest.mark.skipif(
        not ORIGINAL,
        reason="PIDQUERY_ORIGINAL_LIBPROC is not set (.ci/python sets it to the libproc 0.2 release)",
    ),
]

# Runs the original's TestSmoke in a child (its pgrp test moves the process
# into a group of its own): once with the original's own wrappers over
# pidquery's proc_info (its ctypes pattern, unchanged), once with
# pidquery.libproc's wrappers in their place.
SMOKE = textwrap.dedent(
    """
    import importlib.util, sys, unittest
    spec = importlib.util.spec_from_file_location("libproc", sys.argv[1] + "/libproc.py")
    original = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(original)
    from pidquery import libproc
    if sys.argv[2] == "wrappers":
        for name in libproc.__all__:
            setattr(original, name, getattr(libproc, name))
    else:
        original.proc_info = libproc.proc_info
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(original.TestSmoke)
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    sys.exit(0 if result.wasSuccessful() and result.testsRun == 5 else 1)
    """
)


@pytest.mark.parametrize("mode", ["proc_info", "wrappers"])
def test_original_smoke_tests(mode):
    out = subprocess.run(
        [sys.executable, "-c", SMOKE, ORIGINAL, mode], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stderr.count("... ok") == 5, out.stderr


def listpids(*args, shim):
    example = os.path.join(ORIGINAL, "examples", "listpids.py")
    env = dict(os.environ, PYTHONPATH=str(shim))
    out = subprocess.run(
        [sys.executable, example, *args], capture_output=True, text=True, env=env
    )
    if "depend on the guacamole" in out.stderr:
        pytest.skip("the example needs the guacamole package (.ci/python installs it)")
    assert out.returncode == 0, out.stderr
    return [int(line) for line in out.stdout.split()]


def test_listpids_example(tmp_path, children):
    # `import libproc` in the example finds pidquery's.
    (tmp_path / "libproc.py").write_text("from pidquery.libproc import *\n")
    kids = children(2, start_new_session=True)
    me = os.getpid()
    # Our children: the two sleeps and the example itself.
    listed = listpids("ppid", str(me), shim=tmp_path)
    assert len(listed) == 3 and {k.pid for k in kids} < set(listed)
    assert listpids("pgrp", str(kids[0].pid), shim=tmp_path) == [kids[0].pid]
    assert me in listpids("uid", str(os.geteuid()), shim=tmp_path)
    assert me in listpids("ruid", str(os.getuid()), shim=tmp_path)
    assert me in listpids("all", shim=tmp_path)
    assert listpids("tty", "0", shim=tmp_path) == pidquery.pids(tty=0)
