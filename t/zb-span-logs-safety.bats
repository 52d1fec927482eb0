#!/usr/bin/env bats
# What leaves the machine and what comes back in a bundle is safe: the
# stored environment has credentials masked; zb span-logs quotes the
# working directory in command.txt, writes env.txt one variable a line,
# and refuses names from dagzd that would land outside the bundle.

load helpers

teardown() {
	dagzd_stop
	if [ -n "${FAKE_PID:-}" ]; then
		kill "$FAKE_PID" 2>/dev/null || :
		wait "$FAKE_PID" 2>/dev/null || :
	fi
}

# Runs the manifest on stdin as job j1 and unpacks the bundle of its only
# test in $BATS_TEST_TMPDIR/x; sets $d to the bundle's directory.
run_and_bundle() {
	local m span
	m=$(manifest)
	dagz_run --manifest "$m" >/dev/null
	span=$(zb tests j1 --json | jq -r .span)
	zb span-logs "$span" -o bundle.tar.gz >/dev/null
	mkdir x
	tar xzf bundle.tar.gz -C x
	d="x/dagz-j1-$span"
}

@test "the stored environment has URL passwords and tokens masked" {
	cd "$BATS_TEST_TMPDIR"
	dagzd_start
	export DB_URL=postgres://u:pw1pw1@h/db
	export GITHUB_PAT=ghp_0123456789abcdefghijABCD
	export SHOW_ME=https://ghs_abcdefghij0123456789@github.com/o/r
	export PATTERN=keep/me
	run_and_bundle <<'EOF'
{"id": "t", "sh": "true", "env": {"CLONE": "https://x:tok3n3@h/r", "MODE": "fast"}}
EOF
	span=$(zb tests j1 --json | jq -r .span)
	curl -sf "$DAGZ_URL/api/v1/spans/$span/context" | jq -S '{
	    DB_URL: .env.DB_URL, GITHUB_PAT: .env.GITHUB_PAT,
	    SHOW_ME: .env.SHOW_ME, PATTERN: .env.PATTERN, test: .test.env}' \
	    >got.json
	diff -u - got.json <<'EOF'
{
  "DB_URL": "postgres://u:***@h/db",
  "GITHUB_PAT": "***",
  "PATTERN": "keep/me",
  "SHOW_ME": "https://***@github.com/o/r",
  "test": {
    "CLONE": "https://x:***@h/r",
    "MODE": "fast"
  }
}
EOF
	# Neither the store, the spool nor the bundle holds them.
	! grep -rqa -e pw1pw1 -e ghp_0123 -e ghs_abcd -e tok3n3 \
	    "$DAGZ_HOME" bundle.tar.gz x
	grep -qx 'DB_URL=postgres://u:\*\*\*@h/db' "$d/env.txt"
}

@test "command.txt quotes the working directory: pasted into sh, it runs nothing else" {
	cd "$BATS_TEST_TMPDIR"
	dagzd_start
	dir="$BATS_TEST_TMPDIR/a'b'c \$(touch pwned)"
	mkdir "$dir" sandbox
	run_and_bundle < <(jq -nc --arg cwd "$dir" \
	    '{id: "where", cmd: ["pwd"], cwd: $cwd}')
	q="'\\''"
	diff -u <(printf "cd '%s'\npwd\n" "${dir//\'/$q}") "$d/command.txt"
	sh -n "$d/command.txt"
	run -0 sh -c 'cd sandbox && sh ../"$1"/command.txt' sh "$d"
	[ "$output" = "$dir" ]
	[ -z "$(find "$BATS_TEST_TMPDIR" -name pwned)" ]
}

@test "env.txt holds one variable a line; a value with a newline round-trips" {
	cd "$BATS_TEST_TMPDIR"
	dagzd_start
	mkdir sandbox
	run_and_bundle < <(jq -nc '{id: "t", sh: "true", env: {
	    MULTI: "line one\nline '\''two'\'' $HOME \\end\ttab",
	    PLAIN: "a b", STAR: "x*y=z", EMPTY: "",
	    "BAD-NAME": "$(touch pwned)"}}')
	grep -x -e 'MULTI=.*' -e 'PLAIN=.*' -e 'STAR=.*' -e 'EMPTY=.*' \
	    -e '# .*BAD-NAME.*' "$d/env.txt" >got.txt
	diff -u - got.txt <<'EOF'
# 'BAD-NAME=$(touch pwned)'
EMPTY=''
MULTI=$'line one\nline \'two\' $HOME \\end\ttab'
PLAIN='a b'
STAR=x*y=z
EOF
	# Every line is an assignment or a comment: no value spans lines.
	! grep -v -e '^[A-Za-z_][A-Za-z0-9_]*=' -e '^# ' "$d/env.txt"
	run -0 bash -c '. ./got.txt && printf "%s|%s|%s|" "$MULTI" "$PLAIN" "$STAR"'
	[ "$output" = "$(printf "line one\nline 'two' \$HOME \\\\end\ttab|a b|x*y=z|")" ]
	# Sourcing all of it runs nothing.
	(cd sandbox && env -i bash -c 'set -a; . "$1"' sh "../$d/env.txt") \
	    2>/dev/null || :
	[ -z "$(find "$BATS_TEST_TMPDIR" -name pwned)" ]
}

# Serves the file $BATS_TEST_TMPDIR/reply.json to every GET, as a dagzd
# would its JSON; sets DAGZ_URL and FAKE_PID.
fake_dagzd() {
	local out="$BATS_TEST_TMPDIR/fake.out" i
	python3 - "$BATS_TEST_TMPDIR/reply.json" >"$out" 3>&- <<'EOF' &
import http.server, sys

class Reply(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = open(sys.argv[1], "rb").read()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

srv = http.server.HTTPServer(("127.0.0.1", 0), Reply)
print("listening on", srv.server_address[1], flush=True)
srv.serve_forever()
EOF
	FAKE_PID=$!
	for i in $(seq 100); do
		grep -q '^listening on ' "$out" && break
		sleep 0.05
	done
	DAGZ_URL="http://127.0.0.1:$(sed -n 's/^listening on //p' "$out")"
	export DAGZ_URL
}

# A context reply naming job $1 and span $2.
reply() {
	jq -n --arg job "$1" --arg span "$2" '{
	    job: {id: $job, uuid: "00000000-0000-4000-8000-000000000000"},
	    span: {span: $span, type: "test", status: "OK", attempt: 1},
	    test: {id: "t", cmd: ["true"]}, env: {}, log: "", history: []}' \
	    >"$BATS_TEST_TMPDIR/reply.json"
}

@test "zb span-logs refuses names from dagzd that leave the bundle or the directory" {
	mkdir -p "$BATS_TEST_TMPDIR/in/dagz-"
	cd "$BATS_TEST_TMPDIR/in"
	fake_dagzd
	# A sane reply makes a bundle: the fake server is a valid dagzd.
	reply j1 0123456789abcdef
	run -0 zb span-logs 0123456789abcdef
	[ "$output" = dagz-0123456789abcdef.tar.gz ]
	[ "$(tar tzf "$output" | head -n 1)" = dagz-j1-0123456789abcdef/README.md ]
	rm "$output"

	reply ../../x 0123456789abcdef
	run -3 zb span-logs 0123456789abcdef -o out.tar.gz
	[ "$output" = "zb: dagzd at $DAGZ_URL: invalid reply: bundle entry 'dagz-../../x-0123456789abcdef' has a '..' component" ]
	reply j1 /../../x
	run -3 zb span-logs 0123456789abcdef
	[ "$output" = "zb: dagzd at $DAGZ_URL: invalid reply: bundle entry 'dagz-/../../x.tar.gz' has a '..' component" ]
	reply j1 $'a/b\e]0;t'
	run -3 zb span-logs 0123456789abcdef
	[ "$output" = "zb: dagzd at $DAGZ_URL: invalid reply: bundle entry 'dagz-a/b?]0;t.tar.gz' has a control character" ]
	reply j1 a/b
	run -3 zb span-logs 0123456789abcdef
	[ "$output" = "zb: dagzd at $DAGZ_URL: invalid reply: bundle entry 'dagz-a/b.tar.gz' has a '/'" ]
	# Nothing was written, here or above.
	[ -z "$(find "$BATS_TEST_TMPDIR" -name '*.tar.gz')" ]
	[ -z "$(ls -A dagz-)" ]
}
