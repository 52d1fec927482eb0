"""sitecustomize of dagz: coverage in the Python subprocesses of a case.

Python imports this module at start-up when this directory is on
PYTHONPATH, as it is for a test run with the dagz_pytest plugin.  When
DAGZ_COVERAGE_SUBPROCESS names a data file prefix (the plugin sets it),
the process runs under coverage.py, measuring the files under
DAGZ_COVERAGE_ROOT with the context DAGZ_COVERAGE_CONTEXT (the case that
started it), and saves its data to PREFIX.HOST.PID.RANDOM at exit for
the plugin to add to that case.  Without coverage it does nothing.  A
sitecustomize module this one hides is run too.
"""

import atexit
import os
import sys


def _dagz_chain():
    """Runs the sitecustomize further down sys.path, as if it were first."""
    import importlib.machinery
    import importlib.util

    here = os.path.dirname(os.path.abspath(__file__))
    path = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]
    try:
        spec = importlib.machinery.PathFinder.find_spec("sitecustomize",
                                                        path)
        if spec is None or spec.loader is None:
            return
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    except Exception as exc:
        sys.stderr.write("Error in sitecustomize; set PYTHONVERBOSE for "
                         "traceback:\n%s: %s\n" % (type(exc).__name__, exc))


def _dagz_save(cov):
    try:
        cov.stop()
        cov.save()
    except Exception:
        pass


def _dagz_start():
    prefix = os.environ.get("DAGZ_COVERAGE_SUBPROCESS")
    if not prefix:
        return
    try:
        import coverage
    except Exception:
        return
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.environ.get("DAGZ_COVERAGE_ROOT")
    try:
        cov = coverage.Coverage(
            data_file=prefix, data_suffix=True, config_file=False,
            include=[os.path.join(root, "*")] if root else None,
            omit=[os.path.join(here, "*"), "*/site-packages/*",
                  "*/dist-packages/*"],
            context=os.environ.get("DAGZ_COVERAGE_CONTEXT") or None)
        cov.start()
    except Exception:
        return
    atexit.register(_dagz_save, cov)


_dagz_chain()
_dagz_start()
