#!/usr/bin/env bats
# The Python hook (hooks/python): dagz_elements.py's elements and
# fingerprints on crafted files, and the pytest plugin on the bundled
# project t/suites/pyselect: a line per case naming the elements it ran,
# import-time code apart, a subprocess's code in the case that started
# it, and the tests untouched when coverage cannot be imported.

load helpers

# Debian's python3 has pytest and coverage; the first python3 on PATH
# may not.
PY=/usr/bin/python3

setup_file() {
	export PYTHONDONTWRITEBYTECODE=1
	cp -R "$DAGZ_SRCDIR/t/suites/pyselect" "$BATS_FILE_TMPDIR/proj"
	# One recorded run of the project for the plugin's tests.
	cd "$BATS_FILE_TMPDIR/proj"
	PYTHONPATH="$DAGZ_SRCDIR/hooks/python" \
	    DAGZ_CASE_ELEMENTS="$BATS_FILE_TMPDIR/cases.ndjson" \
	    "$PY" -m pytest -q -p no:cacheprovider -p dagz_pytest \
	    --junitxml="$BATS_FILE_TMPDIR/junit.xml" \
	    >"$BATS_FILE_TMPDIR/pytest.out" 2>&1
	# CASE ELEMENT a line, the import-time case as "null".
	jq -r '(.case // "null") as $c | .elements[]? | "\($c) \(.[0])"' \
	    "$BATS_FILE_TMPDIR/cases.ndjson" >"$BATS_FILE_TMPDIR/table"
}

setup() {
	export PYTHONDONTWRITEBYTECODE=1
	ELEMENTS="$DAGZ_SRCDIR/hooks/python/dagz_elements.py"
	CASES="$BATS_FILE_TMPDIR/cases.ndjson"
	cd "$BATS_TEST_TMPDIR"
}

# Element and fingerprint of each line dagz_elements.py prints for FILE.
fps() {
	"$PY" "$ELEMENTS" "$@" | jq -r '"\(.element) \(.fp)"' | sort
}

# The elements (names only) of CASE in the plugin's record.
case_elements() {
	awk -v c="$1" '$1 == c { print $2 }' "$BATS_FILE_TMPDIR/table"
}

write_mod() {
	cat >mod.py <<'EOF'
"""A module."""
import os

LIMIT = 3


def alpha(x):
    """Doubles x."""
    return 2 * x


def clamp(x):
    if x > LIMIT:
        x = LIMIT
    return x


def outer(n):
    def inner(k):
        return k + 1
    return inner(n)


class Box(object):
    size = LIMIT

    def __init__(self, v):
        self.v = v

    @property
    def doubled(self):
        return alpha(self.v)


if os.sep == "/":
    def posix_only():
        return True
EOF
}

@test "dagz_elements.py: top-level code, functions, nested functions, classes and methods" {
	write_mod
	run -0 fps mod.py
	diff -u - <(cut -d' ' -f1 <<<"$output") <<'EOF'
mod.py#<module>
mod.py#Box
mod.py#Box.__init__
mod.py#Box.doubled
mod.py#alpha
mod.py#clamp
mod.py#outer
mod.py#outer.inner
mod.py#posix_only
EOF
	# 16 lower-case hex digits, and every line names its file.
	[ "$(cut -d' ' -f2 <<<"$output" | grep -cxE '[0-9a-f]{16}')" -eq 9 ]
	run -0 "$PY" "$ELEMENTS" mod.py
	[ "$(jq -r .file <<<"$output" | sort -u)" = mod.py ]
	# --root: names stay relative to it.
	mkdir -p r/pkg && cp mod.py r/pkg/
	run -0 "$PY" "$ELEMENTS" --root r pkg/mod.py
	diff -u <(fps mod.py | sed 's|^mod.py|pkg/mod.py|') \
	    <(jq -r '"\(.element) \(.fp)"' <<<"$output" | sort)
}

@test "dagz_elements.py: moving a function among others, blank lines, comments and another indentation keep every fingerprint" {
	write_mod
	fps mod.py >before
	"$PY" - <<'EOF'
src = open("mod.py").read()
alpha = src[src.index("def alpha"):src.index("def outer")]
# alpha moved down among the other defs, not across top-level code.
src = src.replace(alpha, "").replace('if os.sep', alpha + 'if os.sep')
src = "# a comment on top\n\n\n" + src
src = src.replace("    return 2 * x", "    # why\n\n    return 2  *  x  # and\n")
# Another indentation: not counted.
src = src.replace("    return inner(n)", "        return inner(n)").replace(
    "    def inner(k):\n        return k + 1",
    "        def inner(k):\n          return k + 1")
open("mod.py", "w").write(src)
EOF
	cat mod.py
	fps mod.py >after
	diff -u before after
}

@test "dagz_elements.py: a body or docstring edit changes that element only, and its parent's when nested" {
	write_mod
	# One variant a file, all fingerprinted in one run.
	edit() {
		sed "$2" mod.py >"$1.py"
	}
	edit body 's/return 2 \* x/return 3 * x/'
	edit doc 's/Doubles x./Doubles x, twice./'
	edit nested 's/return k + 1/return k + 2/'
	edit method 's/return alpha(self.v)/return alpha(self.v) + 0/'
	edit classattr 's/size = LIMIT/size = LIMIT + 1/'
	edit import 's/^import os$/import os, sys/'
	# The same tokens, one statement moved into the block above it.
	edit block 's/^    return x$/        return x/'
	# A new function or method: what finds it by name may change.
	edit newdef 's/^def clamp(x):$/def beta():\n    return 0\n\n\ndef clamp(x):/'
	edit newmethod 's/^    @property$/    def __eq__(self, o):\n        return True\n\n    @property/'
	"$PY" "$ELEMENTS" mod.py body.py doc.py nested.py method.py \
	    classattr.py import.py block.py newdef.py newmethod.py |
	    jq -r '"\(.file) \(.element |
	    sub("^[^#]*"; "")) \(.fp)"' >all
	# The elements of a variant whose fingerprint is not mod.py's.
	changed() {
		awk -v f="$1.py" '$1 == "mod.py" || $1 == f { print $2, $3 }' \
		    all | sort | uniq -u | cut -d' ' -f1 | sort -u
	}
	run -0 changed body
	[ "$output" = "#alpha" ]
	run -0 changed doc
	[ "$output" = "#alpha" ]
	run -0 changed nested
	[ "$output" = $'#outer\n#outer.inner' ]
	# A method's edit leaves its class; a class attribute's is the class.
	run -0 changed method
	[ "$output" = "#Box.doubled" ]
	run -0 changed classattr
	[ "$output" = "#Box" ]
	# Top-level code, imports included, is the module's element.
	run -0 changed import
	[ "$output" = "#<module>" ]
	run -0 changed block
	[ "$output" = "#clamp" ]
	run -0 changed newdef
	[ "$output" = $'#<module>\n#beta' ]
	run -0 changed newmethod
	[ "$output" = $'#Box\n#Box.__eq__' ]
}

@test "dagz_elements.py: a def moved across top-level code that calls it changes its parent, moved among defs it does not" {
	cat >a.py <<'EOF'
import os


def sieve(n):
    return list(range(n))


def other():
    return PRIMES


PRIMES = sieve(5)


class Box:
    size = 1

    def grow(self):
        if self.size:
            return 2

    def shrink(self):
        return 0

    half = shrink
EOF
	# Below the code that calls it: a NameError at import.
	"$PY" - <<'EOF'
s = open("a.py").read()
d = "def sieve(n):\n    return list(range(n))\n\n\n"
open("b.py", "w").write(s.replace(d, "") + "\n\n" + d)
# Its neighbour swapped, a method moved in its class: the same code.
o = "def other():\n    return PRIMES\n\n\n"
open("c.py", "w").write(s.replace(d + o, o + d))
g = "    def grow(self):\n        if self.size:\n            return 2\n\n"
m = "    def shrink(self):\n        return 0\n\n"
open("d.py", "w").write(s.replace(m, "").rstrip() + "\n\n" + m)
open("e.py", "w").write(s.replace(g + m, m + g))
EOF
	"$PY" -c 'import a, c, e'
	run ! "$PY" -c 'import b'
	run ! "$PY" -c 'import d'
	"$PY" "$ELEMENTS" a.py b.py c.py d.py e.py | jq -r '"\(.file) \(.element |
	    sub("^[^#]*"; "")) \(.fp)"' >all
	changed() {
		awk -v f="$1.py" '$1 == "a.py" || $1 == f { print $2, $3 }' \
		    all | sort | uniq -u | cut -d' ' -f1 | sort -u
	}
	run -0 changed b
	[ "$output" = "#<module>" ]
	run -0 changed c
	[ "$output" = "" ]
	run -0 changed d
	[ "$output" = "#Box" ]
	run -0 changed e
	[ "$output" = "" ]
}

@test "dagz_elements.py: missing and unparsable files get a line each, bad arguments exit 2" {
	printf 'def f(:\n    pass\n' >bad.py
	printf 'x = 1\n' >good.py
	run -0 "$PY" "$ELEMENTS" nope.py bad.py good.py
	diff -u - <(jq -cS . <<<"$output" | sed 's/"fp":"[0-9a-f]*"/"fp":FP/') <<'EOF'
{"file":"nope.py","missing":true}
{"error":"SyntaxError: invalid syntax line 1","file":"bad.py"}
{"element":"good.py#<module>","file":"good.py","fp":FP}
EOF
	run -2 "$PY" "$ELEMENTS"
	[ "$output" = "usage: dagz_elements.py [--root DIR] [--stdin] FILE..." ]
	run -2 "$PY" "$ELEMENTS" --bogus good.py
	[ "$output" = "dagz_elements.py: unknown option '--bogus'" ]
	run -2 "$PY" "$ELEMENTS" --root nowhere good.py
	[ "$output" = "dagz_elements.py: cannot use root 'nowhere': not a directory" ]
}

@test "dagz_elements.py: --stdin takes files one a line, as arguments; fingerprints are the same without _blake2, and OpenSSL is not loaded" {
	write_mod
	printf 'x = 1\n' >good.py
	"$PY" "$ELEMENTS" mod.py nope.py good.py >args.out
	run -0 "$PY" "$ELEMENTS" --stdin mod.py <<<$'nope.py\n\ngood.py'
	diff -u args.out - <<<"$output"
	[ "$(wc -l <args.out)" -eq 11 ]
	# Nothing on stdin: nothing printed.
	run -0 "$PY" "$ELEMENTS" --stdin </dev/null
	[ "$output" = "" ]
	# The fallback: blake2b from hashlib where _blake2 cannot be imported.
	run -0 "$PY" -c '
import hashlib, sys
sys.modules["_blake2"] = None
sys.path.insert(0, sys.argv[1])
import dagz_elements
assert dagz_elements._blake2b is hashlib.blake2b
sys.exit(dagz_elements.main(sys.argv[2:]))' "${ELEMENTS%/*}" mod.py nope.py \
	    good.py
	diff -u args.out - <<<"$output"
	run -0 "$PY" -c '
import sys
sys.path.insert(0, sys.argv[1])
import dagz_elements
print(sorted(m for m in ("hashlib", "_hashlib", "_ssl") if m in sys.modules))
print(dagz_elements.fingerprint("x"))' "${ELEMENTS%/*}"
	[ "$output" = "$(printf '[]\n%s' "$("$PY" -c 'import hashlib
print(hashlib.blake2b(b"x", digest_size=8).hexdigest())')")" ]
}

@test "plugin: the tests pass, and every case has a line named by its node id" {
	cat "$BATS_FILE_TMPDIR/pytest.out"
	grep -qx '40 passed in .*' <(tail -n 1 "$BATS_FILE_TMPDIR/pytest.out" |
	    tr -d '=' | sed 's/^ *//;s/ *$//')
	cd "$BATS_FILE_TMPDIR/proj"
	"$PY" -m pytest -p no:cacheprovider --collect-only -q |
	    grep '::' >"$BATS_TEST_TMPDIR/ids"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/ids")" -eq 40 ]
	diff -u "$BATS_TEST_TMPDIR/ids" <(jq -r 'select(.case != null and
	    has("elements")) | .case' "$CASES")
	# And, as each ran, a line as it started and one as it ended.
	diff -u <(sed 's/$/ started passed/' "$BATS_TEST_TMPDIR/ids") \
	    <(jq -r 'select(.started or .outcome) | [.case, (if .started
	    then "started" else .outcome end)] | join(" ")' "$CASES" |
	    paste -d' ' - - | cut -d' ' -f1,2,4)
	# One null line, no error.
	[ "$(jq -c 'select(.case == null) | has("error")' "$CASES")" = false ]
	# The JUnit reader names a case CLASSNAME.NAME: the node id with the
	# file's ".py" dropped, "/" and "::" as ".".
	xmllint --xpath '//testcase' "$BATS_FILE_TMPDIR/junit.xml" |
	    sed -n 's/.*classname="\([^"]*\)" name="\([^"]*\)".*/\1.\2/p' \
	    >"$BATS_TEST_TMPDIR/junit"
	diff -u "$BATS_TEST_TMPDIR/junit" <(sed 's/\.py::/./; s/::/./g; s|/|.|g' \
	    "$BATS_TEST_TMPDIR/ids")
}

@test "plugin: a case's elements are what it ran, with their classes and modules" {
	run -0 case_elements tests/test_one.py::test_mean
	diff -u - <(echo "$output") <<'EOF'
pyselect/arith.py#<module>
pyselect/arith.py#div
pyselect/arith.py#mean
tests/test_one.py#<module>
tests/test_one.py#test_mean
EOF
	run -0 case_elements tests/test_two.py::test_rect_scaled
	diff -u - <(echo "$output") <<'EOF'
pyselect/shapes.py#<module>
pyselect/shapes.py#Rect
pyselect/shapes.py#Rect.__init__
pyselect/shapes.py#Rect.area
pyselect/shapes.py#Rect.scaled
tests/test_two.py#<module>
tests/test_two.py#test_rect_scaled
EOF
	# A nested function counts with the one enclosing it.
	run -0 case_elements tests/test_one.py::test_slug
	grep -qx 'pyselect/text.py#slug.clean' <<<"$output"
	# A case that calls nothing of the library has none of it.
	run -0 case_elements tests/test_one.py::test_nothing
	diff -u - <(echo "$output") <<'EOF'
tests/test_one.py#<module>
tests/test_one.py#test_nothing
EOF
	run -0 jq -c 'select(.case == "tests/test_one.py::test_mean" and
	    has("files")) | .files' "$CASES"
	[ "$output" = '["pyselect/arith.py","tests/test_one.py"]' ]
	# A module-scoped fixture ran once, in the first case: it counts for
	# each case that uses it.
	for c in test_names test_names_count test_names_shout; do
		case_elements "tests/test_two.py::$c" >e
		grep -qx 'tests/test_two.py#names' e
		grep -qx 'pyselect/text.py#words' e
	done
}

@test "plugin: import-time lines are the null case's" {
	run -0 case_elements null
	diff -u - <(echo "$output") <<'EOF'
conftest.py#<module>
pyselect/__init__.py#<module>
pyselect/arith.py#<module>
pyselect/proc.py#<module>
pyselect/shapes.py#<module>
pyselect/shapes.py#Circle
pyselect/shapes.py#Rect
pyselect/text.py#<module>
tests/test_one.py#<module>
tests/test_two.py#<module>
EOF
}

@test "plugin: the null case's line knows every element of the files that hold cases" {
	cd "$BATS_FILE_TMPDIR/proj"
	# Each one, with dagz_elements.py's fingerprint, run or not.
	diff -u <("$PY" "$ELEMENTS" tests/test_one.py tests/test_two.py |
	    jq -r '"\(.element) \(.fp)"' | LC_ALL=C sort) \
	    <(jq -r 'select(.case == null) | .known[] | "\(.[0]) \(.[1])"' \
	    "$CASES")
	# square_of, which no case ran, among them.
	[ "$(jq -r 'select(.case == null) | .known[][0]' "$CASES" |
	    grep -c '#square_of$')" = 1 ]
	run -1 grep ' tests/test_two.py#square_of$' "$BATS_FILE_TMPDIR/table"
}

@test "plugin: a subprocess's code counts for the case that started it" {
	run -0 case_elements tests/test_two.py::test_child
	diff -u - <(echo "$output") <<'EOF'
pyselect/__init__.py#<module>
pyselect/proc.py#<module>
pyselect/proc.py#in_child
pyselect/proc.py#triple
tests/test_two.py#<module>
tests/test_two.py#test_child
EOF
	# Only the child ran triple there: elsewhere only test_triple does.
	run -0 awk '$2 == "pyselect/proc.py#triple" { print $1 }' \
	    "$BATS_FILE_TMPDIR/table"
	diff -u - <(echo "$output") <<'EOF'
tests/test_two.py::test_triple
tests/test_two.py::test_child
EOF
}

@test "plugin: fingerprints are dagz_elements.py's" {
	cd "$BATS_FILE_TMPDIR/proj"
	jq -r '.elements[]? | "\(.[0]) \(.[1])"' "$CASES" | sort -u \
	    >"$BATS_TEST_TMPDIR/plugin"
	jq -r '.files[]?' "$CASES" | sort -u >"$BATS_TEST_TMPDIR/files"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/files")" -eq 8 ]
	xargs "$PY" "$ELEMENTS" <"$BATS_TEST_TMPDIR/files" |
	    jq -r '"\(.element) \(.fp)"' | sort >"$BATS_TEST_TMPDIR/cli"
	# Every element the plugin names, with the same fingerprint.
	join -v1 "$BATS_TEST_TMPDIR/plugin" "$BATS_TEST_TMPDIR/cli" >missing || :
	diff -u /dev/null missing
	diff -u <(join "$BATS_TEST_TMPDIR/plugin" "$BATS_TEST_TMPDIR/cli" |
	    awk '$2 != $3') /dev/null
}

@test "plugin: without coverage the tests run as usual and the error is written" {
	mkdir nocov
	echo 'raise ImportError("no coverage here")' >nocov/coverage.py
	cd "$BATS_FILE_TMPDIR/proj"
	PYTHONPATH="$BATS_TEST_TMPDIR/nocov:$DAGZ_SRCDIR/hooks/python" \
	    DAGZ_CASE_ELEMENTS="$BATS_TEST_TMPDIR/out.ndjson" \
	    run -0 "$PY" -m pytest -q -p no:cacheprovider -p dagz_pytest
	[[ "${lines[-1]}" == "40 passed in "* ]]
	diff -u - <(grep -v '"started"\|"outcome"' \
	    "$BATS_TEST_TMPDIR/out.ndjson") <<'EOF'
{"case": null, "error": "cannot start coverage: ImportError: no coverage here"}
EOF
	# Cases are still seen as they run.
	[ "$(grep -c '"outcome": "passed"' "$BATS_TEST_TMPDIR/out.ndjson")" \
	    -eq 40 ]
}
