#!/usr/bin/env bats
# One job across many nodes. Each node is a process tree of its own,
# with its own copy of the suite and the CI variables of a GitLab
# parallel slot; they meet through one real dagzd. The first slot to
# reach it schedules; the others join over TCP.

load helpers

setup() {
	dagzd_start
	cd "$BATS_TEST_TMPDIR"
	slot_pids=()
}

teardown() {
	local p
	[ -e cut.pid ] && kill "$(cat cut.pid)" 2>/dev/null
	for p in node*/pid; do
		[ -e "$p" ] && kill -9 -- "-$(cat "$p")" 2>/dev/null
	done
	dagzd_stop
}

# Writes the suite every node copies: N tests of S seconds, each noting
# where it ran in $BATS_TEST_TMPDIR/ran; then any lines from stdin.
suite() {
	local n=$1 s=$2 i
	for i in $(seq 1 "$n"); do
		printf '{"id": "t%02d", "sh": "echo $DAGZ_TEST_ID $CI_NODE_INDEX $DAGZ_WORKER_ID $DAGZ_NODE_INDEX >>%s/started; sleep %s; echo $DAGZ_TEST_ID $CI_NODE_INDEX $DAGZ_WORKER_ID $DAGZ_NODE_INDEX $DB >>%s/ran"}\n' \
		    "$i" "$BATS_TEST_TMPDIR" "$s" "$BATS_TEST_TMPDIR"
	done >suite.ndjson
	[ -t 0 ] || cat >>suite.ndjson
}

# Starts GitLab slot N (0-based) of TOTAL of pipeline KEY in node$N, a
# copy of the suite, in a session of its own; dagz run's arguments
# follow. Its output goes to node$N/out and err, its status to node$N/rc.
slot() {
	local n=$1 total=$2 key=$3
	shift 3
	mkdir -p "node$n"
	[ -e "node$n/suite.ndjson" ] || cp suite.ndjson "node$n/"
	(
		cd "node$n" || exit 1
		export GITLAB_CI=true CI_PIPELINE_ID=$key
		export CI_JOB_NAME="test $((n + 1))/$total"
		export CI_NODE_INDEX=$((n + 1)) CI_NODE_TOTAL=$total
		rc=0
		setsid dagz run --log-dir "$PWD/logs" --manifest suite.ndjson \
		    "$@" >out 2>err 3>&- &
		echo $! >pid
		wait $! || rc=$?
		echo "$rc" >rc
	) 3>&- &
	slot_pids+=($!)
}

# Waits until slot N's scheduler listens: a slot started after it joins
# its job rather than racing it to the rendezvous.
listening() {
	local i
	for i in $(seq 200); do
		ss -ltnpH | grep -q "pid=$(cat "node$1/pid" 2>/dev/null)," &&
		    return 0
		sleep 0.05
	done
	return 1
}

# Waits for every slot started; not a bare wait: dagzd is a child too.
wait_slots() {
	wait "${slot_pids[@]}"
	slot_pids=()
}

# The node that scheduled: the one whose output has the job's lines.
scheduler() {
	grep -l 'dagz: job ' node*/out | head -n 1 | sed 's|/out||; s|node||'
}

# The job's report as a node printed it: from the summary on.
report() {
	sed -n '/ summary: /,$p' "node$1/out"
}

@test "three slots started at once: one job, every test once, on every worker" {
	suite 12 0.3 <<'EOF'
{"id": "bad", "sh": "echo broken; exit 1"}
EOF
	for n in 0 1 2; do
		slot "$n" 3 101 -j 2 --retries 0 --worker-env 'DB=app{suffix}@{node}'
	done
	wait_slots
	for n in 0 1 2; do
		cat "node$n/out" "node$n/err"
		# Each exits as the job does: 1, a test failed.
		[ "$(cat "node$n/rc")" = 1 ]
	done
	# Every test ran once, across all six workers of the three nodes.
	[ "$(wc -l <ran)" -eq 12 ]
	[ -z "$(cut -d' ' -f1 ran | sort | uniq -d)" ]
	[ "$(cut -d' ' -f3 ran | sort -u | tr '\n' ' ')" = "0 1 2 3 4 5 " ]
	[ "$(cut -d' ' -f2 ran | sort -u | tr '\n' ' ')" = "1 2 3 " ]
	# DAGZ_NODE_INDEX is each test's node, its CI slot from 0.
	[ -z "$(awk '$2 != $4 + 1' ran)" ]
	# --worker-env: a database per worker, none shared across nodes.
	[ -z "$(awk '$5 != "app_jw0" $3 "@" $4' ran)" ]
	[ "$(cut -d' ' -f5 ran | sort -u | wc -l)" -eq 6 ]
	# Each node's workers are its own, numbered across the job.
	for n in 1 2 3; do
		[ "$(awk -v n=$n '$2 == n { print $3 }' ran | sort -u | wc -l)" -eq 2 ]
	done
	s=$(scheduler)
	grep -q "dagz: job j1: 13 tests from suite.ndjson on 6 workers" "node$s/out"
	[ "$(grep -c ' joined from [0-9a-f.:]*: workers #[24]-#[35]$' "node$s/out")" -eq 2 ]
	# The same report on every node, the failure and the link in it.
	report "$s" >expected
	grep -q '== dagz job j1 FAILED ==' expected
	grep -q '  FAILED     bad' expected
	grep -q "$DAGZ_URL/jobs/j1" expected
	for n in 0 1 2; do
		[ "$n" = "$s" ] && continue
		grep -q "^dagz: node $n of 3 joins job " "node$n/out"
		report "$n" | diff -u expected -
	done
	# One job in the store, every result in it, tagged with its node.
	run -0 zb jobs --json
	[ "$(jq -s length <<<"$output")" -eq 1 ]
	run -0 zb job --json j1
	[ "$(jq -r .status <<<"$output")" = failed ]
	# zb job lists the nodes and their workers; each node's load span.
	[ "$(jq -c '[.nodes[].node] | sort' <<<"$output")" = '[0,1,2]' ]
	[ "$(jq -c '[.nodes[].workers[]] | sort' <<<"$output")" = '[0,1,2,3,4,5]' ]
	run -0 zb spans --json --type load j1
	[ "$(jq -r '.attrs.node' <<<"$output" | sort | tr '\n' ' ')" = "0 1 2 " ]
	run -0 zb tests --json j1
	[ "${#lines[@]}" -eq 13 ]
	[ "$(jq -r .node <<<"$output" | sort -u | tr '\n' ' ')" = "0 1 2 " ]
}

@test "--plan on the scheduler: LPT over every worker of every node" {
	for i in 1 2 3 4 5 6; do
		printf '{"id": "p%d", "sh": "true", "estimate": %d}\n' "$i" "$i"
	done >suite.ndjson
	for n in 0 1 2; do
		slot "$n" 3 102 -j 2 --plan
	done
	wait_slots
	s=$(grep -l '"plan-summary"' node*/out | sed 's|/out||; s|node||')
	[ -n "$s" ]
	cat "node$s/out"
	jq -s -e '.[-1] | .workers == 6 and .tests == 6 and .makespan == 6' "node$s/out"
	# Longest first, each on the least loaded worker: one each here.
	[ "$(jq -r 'select(.type=="plan") | .worker' "node$s/out" | sort -u | wc -l)" -eq 6 ]
	[ "$(jq -r 'select(.type=="plan") | .node' "node$s/out" | sort | uniq -c | awk '{print $1}' | tr '\n' ' ')" = "2 2 2 " ]
	for n in 0 1 2; do
		[ "$(cat "node$n/rc")" = 0 ]
	done
}

@test "a node that comes late steals work; a slot that never comes does not hold the job" {
	suite 12 1.5
	# Slot 3 of 4 never comes; slot 2 comes 2 s late.
	slot 0 4 103 -j 2 --wait-nodes 1
	slot 1 4 103 -j 2 --wait-nodes 1
	sleep 2
	slot 2 4 103 -j 2 --wait-nodes 1
	wait_slots
	for n in 0 1 2; do
		cat "node$n/out" "node$n/err"
		[ "$(cat "node$n/rc")" = 0 ]
	done
	s=$(scheduler)
	grep -q 'waited 1s for nodes: starting without node 2, 3' "node$s/out"
	[ "$(wc -l <ran)" -eq 12 ]
	[ -z "$(cut -d' ' -f1 ran | sort | uniq -d)" ]
	# The late node took work from the others.
	[ "$(awk '$2 == 3' ran | wc -l)" -ge 1 ]
	grep -qE 'summary: 12 tests .* [1-9][0-9]* stolen: 12 OK' "node$s/out"
}

@test "kill -9 of a whole node mid-job: its tests finish elsewhere, each once, labelled" {
	suite 6 2
	for n in 0 1 2; do
		slot "$n" 3 104 -j 2 --events ev.ndjson --reconnect-grace 1
	done
	# Once a test runs on a node that is not the scheduler, kill it all.
	for i in $(seq 100); do
		s=$(scheduler)
		if [ -n "$s" ] && [ -s started ]; then
			victim=$(awk -v s=$((s + 1)) '$2 != s { print $2 - 1; exit }' started)
			[ -n "$victim" ] && break
		fi
		sleep 0.1
	done
	[ -n "$victim" ]
	kill -9 -- "-$(cat "node$victim/pid")"
	wait_slots
	cat "node$s/out"
	[ "$(cat "node$s/rc")" = 0 ]
	# Every test passed once in the store; those lost ran again, labelled.
	lost=$(awk -v v=$((victim + 1)) '$2 == v { print $1 }' started | sort)
	[ -n "$lost" ]
	grep -q "node $victim lost: " "node$s/out"
	run -0 zb tests j1
	[ "$(jq -r .status <<<"$output" | sort | uniq -c | awk '{print $1, $2}')" = "6 OK" ]
	[ "$(jq -r .test <<<"$output" | sort -u | wc -l)" -eq 6 ]
	for t in $lost; do
		[ "$(event_get "node$s/ev.ndjson" "$t" .rerun)" = "node $victim lost" ]
		[ "$(event_get "node$s/ev.ndjson" "$t" .node)" != "$victim" ]
	done
	# The node that survived exits as the job did.
	for n in 0 1 2; do
		[ "$n" = "$victim" ] || [ "$(cat "node$n/rc")" = 0 ]
	done
}

@test "a test defined differently on one node is a dagz error naming the nodes; the rest run" {
	suite 4 0.1
	# Node 1 has its own t03: the same id, another command.
	mkdir -p node1
	sed 's/"t03", "sh": "/"t03", "sh": "true; /' suite.ndjson >node1/suite.ndjson
	for n in 0 1 2; do
		slot "$n" 3 105 -j 1 --retries 0 --events ev.ndjson
	done
	wait_slots
	s=$(scheduler)
	cat "node$s/out"
	[ "$(cat "node$s/rc")" = 3 ]
	[ "$(event_status "node$s/ev.ndjson" t03)" = DAGZ_ERROR ]
	reason=$(event_get "node$s/ev.ndjson" t03 .reason)
	# Named whichever node schedules: node 1, and the others if it does.
	[[ "$reason" == "defined differently on node "[0-2]" and node "[0-2]* ]]
	[[ "$reason" == *"node 1"* ]]
	# Never run, anywhere; the others ran once.
	! grep -q '^t03 ' ran
	[ "$(sort ran | cut -d' ' -f1 | tr '\n' ' ')" = "t01 t02 t04 " ]
}

@test "through dagzd's relay when the scheduler cannot be reached: the same job" {
	suite 9 0.3 <<'EOF'
{"id": "bad", "sh": "exit 1"}
EOF
	# Nothing listens at the address the scheduler gives.
	slot 0 3 110 -j 2 --retries 0 --advertise 127.0.0.1:1
	listening 0
	slot 1 3 110 -j 2 --retries 0
	# And --relay goes there at once.
	slot 2 3 110 -j 2 --retries 0 --relay
	wait_slots
	cat node0/out node1/err node2/err
	for n in 0 1 2; do
		[ "$(cat "node$n/rc")" = 1 ]
	done
	[ "$(grep -c ' joined from the relay: workers ' node0/out)" -eq 2 ]
	grep -q 'cannot reach the scheduler directly: ' node1/err
	! grep -q 'cannot reach the scheduler directly: ' node2/err
	[ "$(wc -l <ran)" -eq 9 ]
	[ -z "$(cut -d' ' -f1 ran | sort | uniq -d)" ]
	[ "$(cut -d' ' -f2 ran | sort -u | tr '\n' ' ')" = "1 2 3 " ]
	report 0 >expected
	grep -q '  FAILED     bad' expected
	report 1 | diff -u expected -
	report 2 | diff -u expected -
	run -0 zb tests j1
	[ "${#lines[@]}" -eq 10 ]
}

@test "an https dagzd: the rendezvous and the relay over TLS, verified against the job's CA" {
	dagzd_stop
	tls_make_ca ca
	tls_make_cert ca server
	dagzd_start --tls-cert server.pem --tls-key server.key
	[[ "$DAGZ_URL" == https://* ]]
	export DAGZ_CA_FILE=$BATS_TEST_TMPDIR/ca.pem
	suite 6 0.2
	slot 0 2 111 -j 2 --advertise 127.0.0.1:1
	listening 0
	slot 1 2 111 -j 2
	wait_slots
	cat node0/out node1/err
	[ "$(cat node0/rc)" = 0 ]
	[ "$(cat node1/rc)" = 0 ]
	grep -q ' joined from the relay: ' node0/out
	[ "$(wc -l <ran)" -eq 6 ]
	[ "$(cut -d' ' -f2 ran | sort -u | tr '\n' ' ')" = "1 2 " ]
	# A node that cannot verify dagzd's certificate does not join.
	unset DAGZ_CA_FILE
	export DAGZ_NO_STORE=
	run -0 env GITLAB_CI=true CI_PIPELINE_ID=112 CI_JOB_NAME='t 2/2' \
	    CI_NODE_INDEX=2 CI_NODE_TOTAL=2 dagz run --log-dir logs \
	    --manifest suite.ndjson
	grep -q 'certificate verify failed' <<<"$output"
	grep -q 'store unreachable: running slot 2 of 2 statically' <<<"$output"
}

@test "a scheduler that dies: its nodes notice and exit 3 once the grace is over" {
	suite 6 3
	slot 0 2 113 -j 1 --reconnect-grace 1
	slot 1 2 113 -j 1 --reconnect-grace 1
	for i in $(seq 100); do
		s=$(scheduler)
		[ -n "$s" ] && [ "$(wc -l <started 2>/dev/null)" -ge 2 ] && break
		sleep 0.1
	done
	v=$((1 - s))
	kill -9 -- "-$(cat "node$s/pid")"
	wait_slots
	cat "node$v/err"
	[ "$(cat "node$v/rc")" = 3 ]
	grep -q 'lost the scheduler: no reconnect within 1s' "node$v/err"
	# Its workers and their tests are gone with it.
	! pgrep -s "$(cat "node$v/pid")" >/dev/null
}

@test "a slot retried alone after its job ended runs what failed on its node there" {
	suite 8 0 <<EOF
{"id": "f1", "sh": "[ -e $BATS_TEST_TMPDIR/fixed ]"}
{"id": "f2", "sh": "[ -e $BATS_TEST_TMPDIR/fixed ]"}
{"id": "f3", "sh": "[ -e $BATS_TEST_TMPDIR/fixed ]"}
{"id": "f4", "sh": "[ -e $BATS_TEST_TMPDIR/fixed ]"}
EOF
	for n in 0 1 2; do
		slot "$n" 3 114 -j 2 --retries 0
	done
	wait_slots
	[ "$(cat node0/rc)" = 1 ]
	run -0 zb tests --json j1
	# The slot of the first failure is retried, alone, once it is fixed.
	r=$(jq -r 'select(.status=="FAILED") | .node' <<<"$output" | head -n 1)
	want=$(jq -r --argjson r "$r" 'select(.status=="FAILED" and .node==$r) | .test' <<<"$output" | sort | tr '\n' ' ')
	touch fixed
	rm -f "node$r/rc"
	slot "$r" 3 114 -j 2 --retries 0 --events ev.ndjson
	wait_slots
	cat "node$r/out"
	[ "$(cat "node$r/rc")" = 0 ]
	grep -q "^dagz: node $r of 3 retried alone: job j1 has ended; running what failed on this node there" "node$r/out"
	! grep -q 'waited\|joins job' "node$r/out"
	[ "$(jq -r 'select(.type=="result" and .status=="OK") | .test' "node$r/ev.ndjson" | sort | tr '\n' ' ')" = "$want" ]
	[ "$(jq -r 'select(.type=="result" and .status=="REDUNDANT") | .test' "node$r/ev.ndjson" | wc -l)" -eq $((12 - $(wc -w <<<"$want"))) ]
	grep -q "did not fail on node $r in job j1" "node$r/ev.ndjson"
}

# Starts t/tcp-cut from port $1 to $2, waits until it listens.
cut_start() {
	"$DAGZ_SRCDIR/t/tcp-cut" "$1" "$2" >cut.out 3>&- &
	echo $! >cut.pid
	for i in $(seq 100); do
		grep -q listening cut.out && return 0
		sleep 0.05
	done
	return 1
}

@test "a node whose connection is cut comes back within the grace: nothing lost, nothing doubled" {
	suite 8 1
	port=$(free_port)
	slot 0 2 109 -j 2 --advertise "127.0.0.1:$port" --events ev.ndjson
	# The scheduler's real port, behind the one it advertises.
	for i in $(seq 100); do
		real=$(ss -ltnpH | grep "pid=$(cat node0/pid)," | awk '{ sub(/.*:/, "", $4); print $4; exit }')
		[ -n "$real" ] && break
		sleep 0.1
	done
	[ -n "$real" ]
	cut_start "$port" "$real"
	slot 1 2 109 -j 2
	# Once node 1 runs a test, cut the way between them, then mend it.
	for i in $(seq 100); do
		grep -q ' 2 [0-9]*$' started 2>/dev/null && break
		sleep 0.1
	done
	kill "$(cat cut.pid)"
	wait "$(cat cut.pid)" || :
	sleep 1
	cut_start "$port" "$real"
	wait_slots
	cat node0/out node1/err
	[ "$(cat node0/rc)" = 0 ]
	[ "$(cat node1/rc)" = 0 ]
	grep -q 'node 1 disconnected: ' node0/out
	grep -q 'node 1 reconnected: ' node0/out
	grep -q 'lost the connection to the scheduler: ' node1/err
	# Every test once: none lost with the connection, none doubled.
	[ "$(wc -l <ran)" -eq 8 ]
	[ -z "$(cut -d' ' -f1 ran | sort | uniq -d)" ]
	[ "$(jq -r 'select(.type=="result") | .test' node0/ev.ndjson | sort | uniq -d)" = "" ]
	run -0 zb tests j1
	[ "$(jq -r .status <<<"$output" | sort | uniq -c | awk '{print $1, $2}')" = "8 OK" ]
	# Its tests were not run again: they finished there.
	! grep -q 'runs again elsewhere' node0/out
}

# Sends line $2 to the scheduler at address $1 and prints what came
# back before it closed the connection.
poke() {
	local host=${1%:*} port=${1##*:} reply=
	exec 5<>"/dev/tcp/$host/$port"
	printf '%s\n' "$2" >&5
	IFS= read -r -t 5 reply <&5 || :
	exec 5<&-
	printf '%s' "$reply"
}

@test "forged joins are refused: no token, a wrong one, garbage, a node that joined already" {
	suite 4 0.5
	slot 0 2 106 -j 1 --wait-nodes 20
	# Once it listens (asking first would make us the scheduler), what
	# any node gets from the rendezvous.
	listening 0
	for i in $(seq 100); do
		r=$(curl -sS -H 'Content-Type: application/json' --data-binary \
		    '{"key": "gitlab/106/test", "node": 1, "total": 2}' \
		    "$DAGZ_URL/api/v1/rendezvous" || :)
		[ "$(jq -r .ready <<<"$r")" = true ] && break
		sleep 0.1
	done
	[ "$(jq -r .ready <<<"$r")" = true ]
	addr=$(jq -r '.addresses[] | select(startswith("127.0.0.1:"))' <<<"$r")
	token=$(jq -r .token <<<"$r")
	[ "${#token}" -ge 32 ]
	join='{"type":"join","proto":1,"node":1,"workers":1,"pid":1,"host":"x","resume":0'
	[ -z "$(poke "$addr" 'GET / HTTP/1.1')" ]
	[ -z "$(poke "$addr" "$join}")" ]
	[ -z "$(poke "$addr" "$join,\"token\":\"${token%?}x\"}")" ]
	[ -z "$(poke "$addr" "{\"type\":\"hello\",\"proto\":1,\"role\":\"vassal\",\"pid\":1,\"token\":\"$token\"}")" ]
	# The real node joins; a replay of its token for its slot is refused.
	slot 1 2 106 -j 1
	for i in $(seq 100); do
		grep -q 'node 1 (.*) joined from ' node0/out && break
		sleep 0.1
	done
	[ -z "$(poke "$addr" "$join,\"token\":\"$token\"}")" ]
	# Not in the node's command line or environment either.
	! grep -qaF "$token" "/proc/$(cat node1/pid)/cmdline" "/proc/$(cat node1/pid)/environ"
	wait_slots
	cat node0/out node0/err
	[ "$(cat node0/rc)" = 0 ]
	[ "$(cat node1/rc)" = 0 ]
	[ "$(grep -c 'refused a connection from 127.0.0.1: ' node0/out)" -eq 5 ]
	grep -q ': malformed message: ' node0/out
	grep -q ': not a join$' node0/out
	grep -q ': a bad join$' node0/out
	grep -q ': wrong job token$' node0/out
	grep -q ': that node has joined already$' node0/out
	[ "$(sort ran | cut -d' ' -f1 | tr '\n' ' ')" = "t01 t02 t03 t04 " ]
	# The token is in no output, log, nor the job's record.
	! grep -rqF "$token" node0 node1 "$BATS_TEST_TMPDIR/dagzd.err"
	run -0 zb job j1
	! grep -qF "$token" <<<"$output"
}

@test "three slots and no store: each runs its share, every test exactly once" {
	suite 30 0
	export DAGZ_NO_STORE=1
	for n in 0 1 2; do
		slot "$n" 3 107 -j 2
	done
	wait_slots
	for n in 0 1 2; do
		cat "node$n/out" "node$n/err"
		[ "$(cat "node$n/rc")" = 0 ]
		grep -q "store unreachable: running slot $((n + 1)) of 3 statically" "node$n/err"
	done
	[ "$(wc -l <ran)" -eq 30 ]
	[ -z "$(cut -d' ' -f1 ran | sort | uniq -d)" ]
	# Shared, not all on one.
	[ "$(cut -d' ' -f2 ran | sort -u | wc -l)" -ge 2 ]
}

@test "three slots and no store, with estimates: LPT shares, every test exactly once" {
	for i in 1 2 3 4 5 6 7 8 9; do
		printf '{"id": "e%d", "sh": "echo $DAGZ_TEST_ID $CI_NODE_INDEX >>%s/ran", "estimate": %d}\n' \
		    "$i" "$BATS_TEST_TMPDIR" "$i"
	done >suite.ndjson
	export DAGZ_NO_STORE=1
	for n in 0 1 2; do
		slot "$n" 3 115 -j 1
	done
	wait_slots
	# Longest first, each to the least loaded slot, ties to the first.
	[ "$(awk '$2 == 1 { print $1 }' ran | sort | tr '\n' ' ')" = "e3 e4 e9 " ]
	[ "$(awk '$2 == 2 { print $1 }' ran | sort | tr '\n' ' ')" = "e2 e5 e8 " ]
	[ "$(awk '$2 == 3 { print $1 }' ran | sort | tr '\n' ' ')" = "e1 e6 e7 " ]
}

@test "no store: slots share by the durations of the latest baseline, kept or given" {
	for i in 1 2 3 4 5 6; do
		printf '{"id": "d%d", "sh": "sleep 0.%d; echo $DAGZ_TEST_ID $CI_NODE_INDEX >>%s/ran"}\n' \
		    "$i" "$i" "$BATS_TEST_TMPDIR"
	done >suite.ndjson
	# A job with the store records durations; its baseline is kept.
	run -0 dagz_run -j 6 --manifest suite.ndjson
	[ -s "$DAGZ_HOME/baseline.latest" ]
	cp "$DAGZ_HOME/baseline.latest" given.baseline
	export DAGZ_NO_STORE=1
	for round in kept given; do
		rm -f ran node*/rc
		for n in 0 1 2; do
			slot "$n" 3 116 -j 1 ${given:+--baseline-file "$given"}
		done
		wait_slots
		# Longest first, each to the least loaded slot.
		[ "$(awk '$2 == 1 { print $1 }' ran | sort | tr '\n' ' ')" = "d1 d6 " ]
		[ "$(awk '$2 == 2 { print $1 }' ran | sort | tr '\n' ' ')" = "d2 d5 " ]
		[ "$(awk '$2 == 3 { print $1 }' ran | sort | tr '\n' ' ')" = "d3 d4 " ]
		# The next round has no copy: the file given is what it has.
		rm -f "$DAGZ_HOME/baseline.latest"
		given=$BATS_TEST_TMPDIR/given.baseline
	done
	run -2 dagz_run --baseline-file nowhere --manifest suite.ndjson
	[ "$output" = "dagz-run: --baseline-file 'nowhere': No such file or directory" ]
}

@test "a dagz run inside a test, with CI slot variables, is a job of its own" {
	printf '{"id": "inner%d", "sh": "echo $DAGZ_TEST_ID >>%s/inner"}\n' \
	    1 "$BATS_TEST_TMPDIR" 2 "$BATS_TEST_TMPDIR" >inner.ndjson
	manifest outer.ndjson <<EOF
{"id": "outer", "sh": "GITLAB_CI=true CI_PIPELINE_ID=108 CI_JOB_NAME='t 1/3' CI_NODE_INDEX=1 CI_NODE_TOTAL=3 dagz run --wait-nodes 30 --manifest $BATS_TEST_TMPDIR/inner.ndjson"}
EOF
	run -0 dagz_run -j 1 --manifest outer.ndjson
	[ "$(sort inner | tr '\n' ' ')" = "inner1 inner2 " ]
	! grep -q 'joins job\|waited' <<<"$output"
	# Nothing asked the rendezvous.
	! grep -q rendezvous "$BATS_TEST_TMPDIR/dagzd.err"
}
