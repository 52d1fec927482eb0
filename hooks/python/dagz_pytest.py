"""pytest plugin of dagz: the code elements each test case executed.

Loaded with -p dagz_pytest (this directory on PYTHONPATH), it does
nothing unless DAGZ_CASE_ELEMENTS names a file.  Then it runs the session
under coverage.py with a dynamic context per case, measuring the .py
files under the project root (DAGZ_PROJECT_ROOT, else pytest's rootdir),
and at the end appends to that file one NDJSON line per case:

    {"case": NODEID, "elements": [[ELEMENT, FP], ...], "files": [FILE, ...]}

ELEMENT is FILE#QUALNAME as dagz_elements.py names it, FP its
fingerprint.  A case's elements are those whose lines it executed, the
elements enclosing them, and the top-level element (FILE#<module>) of
every file it executed a line of; lines run by a fixture of a wider
scope count for every case that uses the fixture, and lines run by a
Python subprocess (measured through this directory's sitecustomize.py)
for the case that started it.  What ran at import, before the first case,
is the line whose case is null.  That line also holds, as "known", every
element of each file that holds cases (the files of the session's node
ids), whether a case ran it or not, with its fingerprint:

    {"case": null, "elements": [...], "files": [...],
     "known": [[ELEMENT, FP], ...]}

so that dagz tells a changed helper no case ran (which selects nothing)
from a new test function (which selects the whole file).  If coverage
cannot run, the line {"case": null, "error": WHY} is written and the
tests run as usual.  As each case starts and ends, a line says so
(Progress): what a run killed in a case leaves behind.
"""

import glob
import json
import os
import shutil
import sys
import tempfile

import pytest

import dagz_elements

HERE = os.path.dirname(os.path.abspath(__file__))
NULL_CONTEXT = ""


def _append(path, records):
    text = "".join(json.dumps(r) + "\n" for r in records)
    with open(path, "a") as f:
        f.write(text)


def _rootdir(config):
    root = os.environ.get("DAGZ_PROJECT_ROOT")
    if not root:
        root = str(getattr(config, "rootpath", None) or config.rootdir)
    return os.path.realpath(root)


class Recorder(object):
    """Coverage of one pytest session, context by context."""

    def __init__(self, out, root):
        self.out = out
        self.root = root
        self.context = NULL_CONTEXT
        self.cases = []         # (nodeid, fixture names), in run order
        self.fixtures = {}      # context -> fixture name
        self.case_files = set()  # files holding cases, relative
        self.tmp = None
        self.cov = None

    def start(self):
        import coverage

        self.tmp = tempfile.mkdtemp(prefix="dagz-coverage-")
        omit = [os.path.join(HERE, "*"), "*/site-packages/*",
                "*/dist-packages/*"]
        self.cov = coverage.Coverage(
            data_file=None, config_file=False,
            include=[os.path.join(self.root, "*")], omit=omit)
        os.environ["DAGZ_COVERAGE_SUBPROCESS"] = os.path.join(self.tmp,
                                                              "sub")
        os.environ["DAGZ_COVERAGE_ROOT"] = self.root
        os.environ["DAGZ_COVERAGE_CONTEXT"] = NULL_CONTEXT
        self.cov.start()

    def switch(self, context):
        self.context = context
        os.environ["DAGZ_COVERAGE_CONTEXT"] = context
        self.cov.switch_context(context)

    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_runtest_protocol(self, item, nextitem):
        self.cases.append((item.nodeid, tuple(item.fixturenames)))
        rel = self.relative(str(getattr(item, "path", None) or item.fspath))
        if rel is not None:
            self.case_files.add(rel)
        self.switch(item.nodeid)
        try:
            yield
        finally:
            self.switch(NULL_CONTEXT)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_fixture_setup(self, fixturedef, request):
        # A fixture of a wider scope serves every case that uses it.
        if fixturedef.scope == "function":
            yield
            return
        outer = self.context
        context = "dagz-fixture:%d:%s" % (len(self.fixtures),
                                          fixturedef.argname)
        self.fixtures[context] = fixturedef.argname
        self.switch(context)
        try:
            yield
        finally:
            self.switch(outer)

    def finish(self):
        """Stops coverage and appends the records to the output file."""
        self.cov.stop()
        datas = [self.cov.get_data()]
        subs = sorted(glob.glob(os.environ["DAGZ_COVERAGE_SUBPROCESS"] +
                                ".*"))
        try:
            import coverage

            for path in subs:
                d = coverage.CoverageData(basename=path)
                d.read()
                datas.append(d)
            records = self.records(datas)
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)
        _append(self.out, records)

    def records(self, datas):
        lines = {}              # context -> {file: set of lines}
        for data in datas:
            for path in data.measured_files():
                rel = self.relative(path)
                if rel is None:
                    continue
                by_line = data.contexts_by_lineno(path)
                for line, contexts in by_line.items():
                    for c in contexts:
                        lines.setdefault(c, {}).setdefault(
                            rel, set()).add(line)
        analyses = {}
        used = {}               # fixture name -> its contexts
        for c, name in self.fixtures.items():
            used.setdefault(name, []).append(c)
        out = [self.record(None, [lines.get(NULL_CONTEXT, {})], analyses)]
        out[0]["known"] = self.known(analyses)
        for nodeid, names in self.cases:
            parts = [lines.get(nodeid, {})]
            for name in names:
                for c in used.get(name, ()):
                    parts.append(lines.get(c, {}))
            out.append(self.record(nodeid, parts, analyses))
        return out

    def relative(self, path):
        """The path relative to the root, None outside or not .py."""
        if not path.endswith(".py"):
            return None
        rel = os.path.relpath(os.path.realpath(path), self.root)
        if rel.startswith(os.pardir + os.sep) or rel == os.pardir:
            return None
        return rel.replace(os.sep, "/")

    def analysis(self, rel, analyses):
        """The Analysis of rel, once; None if it cannot be analysed."""
        if rel not in analyses:
            try:
                analyses[rel] = dagz_elements.analyse(
                    os.path.join(self.root, rel))
            except (SyntaxError, ValueError, UnicodeDecodeError, OSError):
                analyses[rel] = None
        return analyses[rel]

    def known(self, analyses):
        """Every element of the files that hold cases, run or not."""
        elements = {}
        for rel in self.case_files:
            a = self.analysis(rel, analyses)
            for e in a.elements if a is not None else ():
                elements[dagz_elements.element_name(rel, e)] = e.fp
        return [[k, elements[k]] for k in sorted(elements)]

    def record(self, case, parts, analyses):
        elements = {}
        files = set()
        for part in parts:
            for rel, lines in part.items():
                files.add(rel)
                a = self.analysis(rel, analyses)
                if a is None:
                    continue
                module = a.elements[0]
                elements[dagz_elements.element_name(rel, module)] = module.fp
                for line in lines:
                    e = a.element_of(line)
                    for x in [e] + a.ancestors(e):
                        elements[dagz_elements.element_name(rel, x)] = x.fp
        return {"case": case,
                "elements": [[k, elements[k]] for k in sorted(elements)],
                "files": sorted(files)}


class Progress(object):
    """Cases as they start and end, so that a run killed in a case (a
    timeout, a crash) still says which case it was in and how the cases
    before it ended: {"case": NODEID, "started": true}, then
    {"case": NODEID, "outcome": OUTCOME, "duration": SECONDS}."""

    def __init__(self, out):
        # Open for the session, each line written as it comes.
        self.f = open(out, "a", buffering=1)
        self.outcome = {}
        self.duration = {}

    def write(self, record):
        self.f.write(json.dumps(record) + "\n")

    def pytest_runtest_logstart(self, nodeid, location):
        self.outcome[nodeid] = "passed"
        self.duration[nodeid] = 0.0
        self.write({"case": nodeid, "started": True})

    def pytest_runtest_logreport(self, report):
        nodeid = report.nodeid
        if nodeid not in self.outcome:
            return
        self.duration[nodeid] += getattr(report, "duration", 0.0) or 0.0
        if report.failed:
            self.outcome[nodeid] = "failed"
        elif report.skipped and self.outcome[nodeid] == "passed":
            self.outcome[nodeid] = "skipped"

    def pytest_runtest_logfinish(self, nodeid, location):
        if nodeid not in self.outcome:
            return
        self.write({"case": nodeid, "outcome": self.outcome.pop(nodeid),
                    "duration": round(self.duration.pop(nodeid), 6)})

    def pytest_unconfigure(self, config):
        self.f.close()


_recorder = None
_begun = False


def _error(path, why):
    _append(path, [{"case": None, "error": why}])


def _begin(config):
    global _recorder, _begun
    out = os.environ.get("DAGZ_CASE_ELEMENTS")
    if not out or _begun:
        return
    _begun = True
    config.pluginmanager.register(Progress(out), "dagz-progress")
    rec = Recorder(out, _rootdir(config))
    try:
        rec.start()
    except Exception as exc:
        _error(out, "cannot start coverage: %s: %s" %
               (type(exc).__name__, exc))
        return
    _recorder = rec
    config.pluginmanager.register(rec, "dagz-recorder")


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args):
    # As early as can be: conftest.py files import the project too.
    _begin(early_config)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    _begin(config)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    global _recorder
    rec = _recorder
    if rec is None:
        return
    _recorder = None
    try:
        rec.finish()
    except Exception as exc:
        _error(rec.out, "cannot record the elements of the cases: %s: %s" %
               (type(exc).__name__, exc))
