#!/usr/bin/env bats
# dagzd's event feed and bundle: GET /api/v1/events streams a job's
# results as server-sent events while it runs, resumes after
# Last-Event-ID, stays bounded with a client that never reads, and is
# behind the token; GET /api/v1/spans/S/bundle is zb span-logs's tar.gz.

load helpers

teardown() {
	[ -z "${READER_PID:-}" ] || kill "$READER_PID" 2>/dev/null || :
	dagzd_stop
}

# Waits until job $1 is stored.
wait_job() {
	local i
	for i in $(seq 200); do
		curl -sf "$DAGZ_URL/api/v1/jobs/$1" >/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# The events of an SSE stream on stdin, one a line: "ID EVENT DATA".
sse_lines() {
	awk '/^id: /{id=$2} /^event: /{ev=$2}
	    /^data: /{sub(/^data: /, ""); print (id == "" ? "-" : id), ev, $0;
	    id=""}'
}

@test "a job's stream has each result as it comes, a retry pending then final, then its end" {
	cd "$BATS_TEST_TMPDIR"
	dagzd_start
	m=$(manifest <<'EOF2'
{"id": "a", "sh": "sleep 0.5"}
{"id": "b", "sh": "sleep 0.5; exit 1", "needs": ["a"]}
{"id": "c", "sh": "sleep 0.5", "needs": ["b"]}
EOF2
)
	dagz_run --manifest "$m" -j 1 --retries 1 >run.out 2>&1 &
	run_pid=$!
	wait_job j1
	timeout 20 curl -sN "$DAGZ_URL/api/v1/events?job=j1" >sse.txt
	wait "$run_pid" || :
	sse_lines <sse.txt >events.txt
	awk '$2 == "result"' events.txt | cut -d' ' -f3- |
	    jq -c '[.job, .test, .attempt, .status, .final, .retry]' >got.txt
	diff -u - got.txt <<'EOF2'
["j1","a",1,"OK",true,false]
["j1","b",1,"FAILED",false,true]
["j1","b",2,"FAILED",true,false]
["j1","c",0,"DEP_FAILED",true,false]
EOF2
	# The job's end comes last, after the job's summary.
	[ "$(tail -n 1 events.txt | cut -d' ' -f2)" = end ]
	tail -n 2 events.txt | head -n 1 | cut -d' ' -f3- |
	    jq -e '.event == "ended" and .id == "j1" and .status == "failed"'
	# Ids go up.
	awk '$1 != "-" {print $1}' events.txt | sort -n -c
}

@test "a stream resumed after Last-Event-ID has only what came after" {
	cd "$BATS_TEST_TMPDIR"
	dagzd_start
	m=$(manifest <<'EOF2'
{"id": "t1", "sh": "true"}
{"id": "t2", "sh": "true", "needs": ["t1"]}
{"id": "t3", "sh": "true", "needs": ["t2"]}
EOF2
)
	dagz_run --manifest "$m" -j 1 >/dev/null
	timeout 10 curl -sN "$DAGZ_URL/api/v1/events?job=j1&since=0" |
	    sse_lines >all.txt
	[ "$(awk '$2 == "result"' all.txt | wc -l)" -eq 3 ]
	first=$(awk '$2 == "result" {print $1; exit}' all.txt)
	timeout 10 curl -sN -H "Last-Event-ID: $first" \
	    "$DAGZ_URL/api/v1/events?job=j1" | sse_lines >rest.txt
	awk -v f="$first" '$1 == "-" || $1 > f' all.txt | diff -u - rest.txt
	[ "$(awk '$2 == "result" {print $3}' rest.txt | jq -r .test |
	    tr '\n' ' ')" = "t2 t3 " ]
	# An id the ring does not hold: reload.
	timeout 10 curl -sN -H "Last-Event-ID: 999999" \
	    "$DAGZ_URL/api/v1/events?job=j1" | sse_lines >reset.txt
	[ "$(cut -d' ' -f2 reset.txt)" = reset ]
	# Every job's stream: its job events, no results.
	timeout 1 curl -sN "$DAGZ_URL/api/v1/events?since=0" | sse_lines \
	    >jobs.txt || :
	[ "$(cut -d' ' -f2 jobs.txt | sort -u)" = job ]
	[ "$(head -n 1 jobs.txt | cut -d' ' -f3- | jq -r .event)" = created ]
	[ "$(tail -n 1 jobs.txt | cut -d' ' -f3- | jq -r .event)" = ended ]
}

@test "a client that never reads is cut off at a bound while others get every event" {
	cd "$BATS_TEST_TMPDIR"
	# Under AddressSanitizer, freed memory waits in a quarantine that
	# would count every byte passed through: keep it small.
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=1 \
	    dagzd_start
	python3 -c '
import json
p = "x" * 1000
for i in range(1100):
    print(json.dumps({"id": "%s%04d" % (p, i), "sh": "true"}))
' >many.ndjson
	dagz_run --manifest many.ndjson -j 2 >run.out 2>&1 &
	run_pid=$!
	wait_job j1
	rss0=$(awk '/^VmRSS/ {print $2}' /proc/"$DAGZD_PID"/status)
	# Asks for the stream with a small window, reads nothing until the
	# job is over, then reads what is left, for at most 8 s.
	/usr/bin/python3 -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /api/v1/events?job=j1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
open("ready", "w").close()
while not __import__("os").path.exists("done"):
    time.sleep(0.05)
s.settimeout(8)
got = b""
try:
    while True:
        b = s.recv(65536)
        if not b:
            break
        got += b
    print("closed")
except socket.timeout:
    print("open")
open("slow.txt", "wb").write(got)
' "$DAGZD_PORT" >slow.out &
	READER_PID=$!
	timeout 30 curl -sN "$DAGZ_URL/api/v1/events?job=j1" >fast.txt
	wait "$run_pid"
	rss1=$(awk '/^VmRSS/ {print $2}' /proc/"$DAGZD_PID"/status)
	touch done
	wait "$READER_PID"
	READER_PID=
	# The reader that read got every result and the end.
	[ "$(grep -c '^event: result' fast.txt)" -eq 1100 ]
	[ "$(tail -n 3 fast.txt | head -n 1)" = "event: end" ]
	# The other was closed without its end, and held no more than the
	# bound while the job ran (its events were over 1.2 MB; the RSS bound
	# is loose, for the job's own storage and the resume ring).
	[ "$(cat slow.out)" = closed ]
	! grep -q '^event: end' slow.txt
	echo "rss grew from $rss0 to $rss1 kB"
	[ $((rss1 - rss0)) -lt 32768 ]
	# dagzd still answers.
	curl -sf "$DAGZ_URL/api/v1/ping" >/dev/null
}

@test "the bundle of a span is zb span-logs's tar.gz; an unknown span is 404" {
	cd "$BATS_TEST_TMPDIR"
	dagzd_start
	m=$(manifest <<'EOF2'
{"id": "dir/it fails", "sh": "echo out here; exit 3", "env": {"MODE": "x"}}
EOF2
)
	dagz_run --manifest "$m" >/dev/null || :
	span=$(zb tests j1 --json | jq -r .span)
	zb span-logs "$span" -o zb.tar.gz >/dev/null
	curl -sf -D headers.txt -o web.tar.gz \
	    "$DAGZ_URL/api/v1/spans/$span/bundle"
	grep -qix "content-type: application/gzip"$'\r' headers.txt
	grep -qix "content-disposition: attachment; filename=\"dagz-dir_it_fails-$span.tar.gz\""$'\r' \
	    headers.txt
	tar tzf zb.tar.gz >zb.list
	tar tzf web.tar.gz | diff -u zb.list -
	[ "$(wc -l <zb.list)" -eq 7 ]
	mkdir zb web
	tar xzf zb.tar.gz -C zb
	tar xzf web.tar.gz -C web
	diff -ru zb web
	grep -qx 'out here' "web/dagz-j1-$span/log.txt"
	run curl -s -o /dev/null -w '%{http_code}' \
	    "$DAGZ_URL/api/v1/spans/0123456789abcdef/bundle"
	[ "$output" = 404 ]
}

@test "the stream is behind the token and the Host check" {
	cd "$BATS_TEST_TMPDIR"
	printf 'sekrit-token-123\n' >token
	chmod 600 token
	dagzd_start --token-file token
	run curl -s -m 5 -o /dev/null -w '%{http_code}' \
	    "$DAGZ_URL/api/v1/events"
	[ "$output" = 401 ]
	run curl -s -m 5 -o /dev/null -w '%{http_code}' \
	    "$DAGZ_URL/api/v1/spans/0123456789abcdef/bundle"
	[ "$output" = 401 ]
	run curl -s -m 1 -D - -o /dev/null \
	    -H 'Authorization: Bearer sekrit-token-123' \
	    "$DAGZ_URL/api/v1/events"
	grep -qi '^content-type: text/event-stream' <<<"$output"
	dagzd_stop
	dagzd_start
	run curl -s -m 5 -o /dev/null -w '%{http_code}' \
	    -H 'Host: evil.example' "$DAGZ_URL/api/v1/events"
	[ "$output" = 403 ]
}
