"""Code elements of Python files and their fingerprints, for dagz selection.

An element is a function or method (FILE#outer.inner, FILE#Class.method),
a class body outside its methods (FILE#Class) or a file's top-level code
(FILE#<module>).  Its fingerprint covers its own tokens only: comments,
blank lines, indentation and line numbers do not count, so moving a
function or adding a comment changes nothing, while an edit to its body
or docstring does.  A nested function's text is part of its enclosing
function's too.

Run as a program, it prints one NDJSON line per element of each FILE:

    python3 dagz_elements.py [--root DIR] [--stdin] FILE...

With --stdin it also takes files from its standard input, one a line, and
reads all of them before it writes anything: dagz starts it before it
knows which files changed, so that the interpreter's start overlaps the
reading of a baseline, and closes its input once it has told them.

The pytest plugin imports it to name the elements whose lines a test case
executed.  Python 3.7 or later, standard library only.
"""

import ast
import io
import json
import os
import sys
import tokenize

try:
    # Not hashlib, which loads OpenSSL: the same digest, in less time.
    from _blake2 import blake2b as _blake2b
except ImportError:
    from hashlib import blake2b as _blake2b

MODULE = "<module>"

_SKIP = (tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER)
_GAP = (tokenize.INDENT, tokenize.DEDENT, tokenize.NEWLINE)
_MARK = {tokenize.INDENT: "\x01>", tokenize.DEDENT: "\x01<",
         tokenize.NEWLINE: "\x01;"}


class Element(object):
    """One element: its name, token span, lines and parent."""

    def __init__(self, qualname, parent, first, last, body_line, end_line,
                 kind):
        self.qualname = qualname
        self.parent = parent
        self.first = first          # index of its first token
        self.last = last            # index of its last token
        self.body_line = body_line  # first line run when it is called
        self.end_line = end_line
        self.kind = kind            # "def", "class" or "module"
        self.children = []
        self.fp = None


class Analysis(object):
    """The elements of one file and the element each line belongs to."""

    def __init__(self, elements, line_map):
        self.elements = elements    # in source order, the module first
        self.line_map = line_map    # line number -> Element

    def element_of(self, line):
        """The innermost element a line executed at belongs to."""
        return self.line_map.get(line, self.elements[0])

    def ancestors(self, element):
        """The elements enclosing element, innermost first."""
        out = []
        e = element.parent
        while e is not None:
            out.append(e)
            e = e.parent
        return out


def fingerprint(text):
    """16 hex digits: blake2b with an 8-byte digest of the text."""
    return _blake2b(text.encode("utf-8", "surrogatepass"),
                    digest_size=8).hexdigest()


def _tokens(source):
    return list(tokenize.tokenize(io.BytesIO(source).readline))


def _start_token(toks, where, stmt):
    """Index of the first token of a def or class: its first decorator's
    '@', else its keyword ('def', 'async', 'class')."""
    if stmt.decorator_list:
        d = stmt.decorator_list[0]
        i = where.get((d.lineno, d.col_offset))
        if i is None:
            # ast counts columns in bytes, tokenize in characters.
            i = _first_on_line(toks, where, d.lineno, ("@",))
        while i is not None and i > 0 and toks[i].string != "@":
            i -= 1
        return i
    i = where.get((stmt.lineno, stmt.col_offset))
    if i is None:
        i = _first_on_line(toks, where, stmt.lineno,
                           ("def", "async", "class"))
    return i


def _first_on_line(toks, where, line, strings):
    for (row, col), i in sorted(where.items()):
        if row == line and toks[i].string in strings:
            return i
    return None


def _after_header(toks, i):
    """Index of the token after the ':' that ends the header at i (the
    first ':' outside brackets)."""
    depth = 0
    n = len(toks)
    while i < n:
        t = toks[i]
        if t.type == tokenize.OP:
            if t.string in "([{":
                depth += 1
            elif t.string in ")]}":
                depth -= 1
            elif t.string == ":" and depth == 0:
                break
        i += 1
    return i + 1


def _block_end(toks, i):
    """Index of the last token of the def or class whose header is at i.

    The header ends at the first ':' outside brackets; a body on the same
    line ends at its NEWLINE, an indented one at the DEDENT closing it.
    """
    n = len(toks)
    i = _after_header(toks, i)
    j = i
    while j < n and toks[j].type in (tokenize.COMMENT, tokenize.NL):
        j += 1
    if j < n and toks[j].type == tokenize.NEWLINE:
        k = j + 1
        while k < n and toks[k].type in (tokenize.COMMENT, tokenize.NL):
            k += 1
        if k < n and toks[k].type == tokenize.INDENT:
            level = 0
            while k < n:
                if toks[k].type == tokenize.INDENT:
                    level += 1
                elif toks[k].type == tokenize.DEDENT:
                    level -= 1
                    if level == 0:
                        return k
                k += 1
            return n - 1
        return j
    # A body on the header's line: up to its NEWLINE.
    while j < n and toks[j].type != tokenize.NEWLINE:
        j += 1
    return min(j, n - 1)


def _end_line(toks, first, last):
    """Line of the last token of first..last that is code, not a DEDENT
    (which stands at the next statement's line) nor a comment."""
    while last > first and toks[last].type in (tokenize.DEDENT, tokenize.NL,
                                               tokenize.COMMENT):
        last -= 1
    return toks[last].end[0]


def _body_line(toks, first):
    """Line of the first token after the header's ':' of the def at first."""
    n = len(toks)
    i = _after_header(toks, first)
    while i < n and toks[i].type in (tokenize.COMMENT, tokenize.NL,
                                     tokenize.NEWLINE, tokenize.INDENT):
        i += 1
    return toks[min(i, n - 1)].start[0]


def _walk(node, prefix, parent, toks, where, out):
    """Adds the elements defined in node's statements, in source order."""
    for field in ("body", "orelse", "finalbody", "handlers", "cases"):
        stmts = getattr(node, field, None)
        if not isinstance(stmts, list):
            continue
        for stmt in stmts:
            if not isinstance(stmt, ast.AST):
                continue
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef,
                                 ast.ClassDef)):
                first = _start_token(toks, where, stmt)
                if first is None:
                    raise SyntaxError("cannot find '%s' line %d" %
                                      (stmt.name, stmt.lineno))
                # The keyword itself: a header ends after it, not a decorator.
                kw = first
                while toks[kw].string not in ("def", "class"):
                    kw += 1
                last = _block_end(toks, kw)
                qual = prefix + stmt.name
                e = Element(qual, parent, first, last, _body_line(toks, kw),
                            _end_line(toks, first, last),
                            "class" if isinstance(stmt, ast.ClassDef)
                            else "def")
                parent.children.append(e)
                out.append(e)
                _walk(stmt, qual + ".", e, toks, where, out)
            else:
                _walk(stmt, prefix, parent, toks, where, out)


def _text(toks, first, last, holes):
    """The normalised text of tokens first..last, less the holes' spans.
    Each run of holes with only comments and blank lines between them is
    one mark naming what it defines, sorted: a def moved among other defs
    changes nothing, one moved across the code around it (which may call
    it) does."""
    parts = []
    holes = sorted(holes)
    h = 0
    i = first
    while i <= last:
        if h < len(holes) and i == holes[h][0]:
            names = []
            while True:
                names.append(holes[h][2])
                i = holes[h][1] + 1
                h += 1
                j = i
                while j <= last and toks[j].type in _SKIP + _GAP:
                    j += 1
                if h >= len(holes) or j != holes[h][0]:
                    break
            parts.append("\x04" + "\x05".join(sorted(names)))
            continue
        t = toks[i]
        i += 1
        if t.type in _SKIP:
            continue
        parts.append(_MARK.get(t.type, t.string))
    return "\x00".join(parts)


def _own_holes(e):
    """Spans left out of e's text: a class's methods and inner classes,
    the module's functions and classes; a function keeps its inner ones."""
    if e.kind == "def":
        return []
    return [(c.first, c.last, "%s %s" % (c.kind, c.qualname))
            for c in e.children]


def analyse_source(source):
    """The Analysis of a file's bytes; raises SyntaxError."""
    tree = ast.parse(source)
    toks = _tokens(source)
    module = Element(MODULE, None, 0, len(toks) - 1, 1, 1 << 30, "module")
    elements = [module]
    where = dict((t.start, i) for i, t in enumerate(toks)
                 if t.type not in (tokenize.DEDENT, tokenize.INDENT))
    _walk(tree, "", module, toks, where, elements)
    # Same name defined twice: one element over all its definitions. A
    # module or class also counts the names it defines, in sorted order:
    # a new function or method may change what its code finds by name
    # (globals(), getattr, __eq__), a move changes nothing.
    texts = {}
    for e in elements:
        text = _text(toks, e.first, e.last, _own_holes(e))
        if e.kind != "def":
            text += "\x03" + "\x00".join(sorted(
                "%s %s" % (c.kind, c.qualname.rsplit(".", 1)[-1])
                for c in e.children))
        texts.setdefault(e.qualname, []).append(text)
    for e in elements:
        e.fp = fingerprint("\x02".join(texts[e.qualname]))
    # A line belongs to the innermost element whose body holds it; the
    # header of a def (decorators, defaults) runs in its parent.
    line_map = {}
    for e in elements[1:]:
        for line in range(e.body_line, e.end_line + 1):
            line_map[line] = e
    return Analysis(elements, line_map)


def analyse(path):
    """The Analysis of the file at path; raises OSError or SyntaxError."""
    with open(path, "rb") as f:
        source = f.read()
    return analyse_source(source)


def element_name(file, element):
    return "%s#%s" % (file, element.qualname)


def describe_error(exc):
    """One line saying why a file could not be analysed."""
    if isinstance(exc, SyntaxError):
        return "SyntaxError: %s line %s" % (exc.msg, exc.lineno)
    if isinstance(exc, OSError):
        return "%s: %s" % (type(exc).__name__, exc.strerror or exc)
    return "%s: %s" % (type(exc).__name__, exc)


def file_lines(root, file):
    """The NDJSON records of one file, as dicts."""
    path = os.path.join(root, file)
    if not os.path.lexists(path):
        return [{"file": file, "missing": True}]
    try:
        a = analyse(path)
    except (SyntaxError, ValueError, UnicodeDecodeError, OSError) as exc:
        return [{"file": file, "error": describe_error(exc)}]
    out = []
    seen = set()
    for e in a.elements:
        if e.qualname in seen:
            continue
        seen.add(e.qualname)
        out.append({"file": file, "element": element_name(file, e),
                    "fp": e.fp})
    return out


def main(argv):
    usage = "usage: dagz_elements.py [--root DIR] [--stdin] FILE..."
    root = "."
    files = []
    stdin = False
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--":
            files.extend(argv[i + 1:])
            break
        if a == "--root":
            if i + 1 >= len(argv):
                sys.stderr.write("dagz_elements.py: option '--root' "
                                 "needs a directory\n")
                return 2
            root = argv[i + 1]
            i += 2
            continue
        if a.startswith("--root="):
            root = a[len("--root="):]
        elif a == "--stdin":
            stdin = True
        elif a.startswith("-") and a != "-":
            sys.stderr.write("dagz_elements.py: unknown option '%s'\n" % a)
            return 2
        else:
            files.append(a)
        i += 1
    if stdin:
        files.extend(f for f in sys.stdin.read().split("\n") if f)
    elif not files:
        sys.stderr.write(usage + "\n")
        return 2
    if not os.path.isdir(root):
        sys.stderr.write("dagz_elements.py: cannot use root '%s': not a "
                         "directory\n" % root)
        return 2
    out = sys.stdout
    for f in files:
        for rec in file_lines(root, f):
            out.write(json.dumps(rec) + "\n")
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
