"""Work done in a Python subprocess."""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def triple(n):
    return 3 * n


def in_child(n):
    """triple(n), computed by a child Python process."""
    out = subprocess.run(
        [sys.executable, "-c",
         "import sys; from pyselect.proc import triple; "
         "print(triple(int(sys.argv[1])))", str(n)],
        cwd=ROOT, check=True, stdout=subprocess.PIPE,
        universal_newlines=True)
    return int(out.stdout)
