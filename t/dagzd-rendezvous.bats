#!/usr/bin/env bats
# dagzd's rendezvous: the slots of one parallel CI step ask with their
# run key; the first becomes the scheduler, at once and only one, the
# others wait until it publishes its job, addresses and token.

load helpers

setup() {
	dagzd_start
	cd "$BATS_TEST_TMPDIR"
	job=6b4e28ba-2fa1-4d2e-883f-0016d3cca427
	token=0123456789abcdef0123456789abcdef
}

teardown() {
	dagzd_stop
}

# POSTs JSON $2 to rendezvous route $1; prints the body, then the status.
rdv() {
	curl -sS --max-time 10 -w '\n%{http_code}\n' -H 'Content-Type: application/json' \
	    --data-binary "$2" "$DAGZ_URL/api/v1/rendezvous$1"
}

@test "three slots at once: one scheduler; the others get what it publishes" {
	pids=()
	for n in 0 1 2; do
		rdv "" "{\"key\": \"gitlab/77/test\", \"node\": $n, \"total\": 3}" \
		    >"slot$n" &
		pids+=($!)
	done
	# Not a bare wait: dagzd is a child of this shell too.
	wait "${pids[@]}"
	[ "$(cat slot0 slot1 slot2 | grep -c '"role":"scheduler"')" -eq 1 ]
	[ "$(cat slot0 slot1 slot2 | grep -c '"role":"vassal"')" -eq 2 ]
	s=$(grep -l '"role":"scheduler"' slot0 slot1 slot2)
	s=${s#slot}
	v=$(( (s + 1) % 3 ))
	# Asking again keeps the roles; a vassal waits for the publication.
	run rdv "" "{\"key\": \"gitlab/77/test\", \"node\": $s, \"total\": 3}"
	[ "$(jq -c . <<<"${lines[0]}")" = '{"role":"scheduler","nodes":3}' ]
	run rdv "" "{\"key\": \"gitlab/77/test\", \"node\": $v, \"total\": 3}"
	[ "$(jq -c . <<<"${lines[0]}")" = "{\"role\":\"vassal\",\"scheduler\":$s,\"nodes\":3,\"ready\":false}" ]
	# Only the scheduler publishes.
	run rdv /publish "{\"key\": \"gitlab/77/test\", \"node\": $v, \"job\": \"$job\", \"addresses\": [\"10.0.0.1:4000\"], \"token\": \"$token\"}"
	[ "${lines[-1]}" = 409 ]
	[ "$(jq -r .error <<<"${lines[0]}")" = "node $v is not the scheduler of 'gitlab/77/test'" ]
	run rdv /publish "{\"key\": \"gitlab/77/test\", \"node\": $s, \"job\": \"$job\", \"addresses\": [\"10.0.0.1:4000\", \"[fd00::1]:4000\"], \"token\": \"$token\"}"
	[ "${lines[-1]}" = 200 ]
	run rdv "" "{\"key\": \"gitlab/77/test\", \"node\": $v, \"total\": 3}"
	[ "$(jq -c '[.role, .ready, .job, .addresses, .token]' <<<"${lines[0]}")" = \
	    "[\"vassal\",true,\"$job\",[\"10.0.0.1:4000\",\"[fd00::1]:4000\"],\"$token\"]" ]
	# The token is the job's secret: not in dagzd's log.
	! grep -q "$token" "$BATS_TEST_TMPDIR/dagzd.err" "$DAGZ_HOME"/*.log 2>/dev/null
	# Another key is another rendezvous, and all survive a restart.
	run rdv "" '{"key": "gitlab/78/test", "node": 1, "total": 2}'
	[ "$(jq -r .role <<<"${lines[0]}")" = scheduler ]
	dagzd_stop
	dagzd_start -l "127.0.0.1:$DAGZD_PORT"
	run rdv "" "{\"key\": \"gitlab/77/test\", \"node\": $v, \"total\": 3}"
	[ "$(jq -r .token <<<"${lines[0]}")" = "$token" ]
}

@test "a bad slot or publication is a 400 naming what is wrong" {
	run rdv "" '{"node": 0, "total": 2}'
	[ "${lines[-1]}" = 400 ]
	[ "$(jq -r .error <<<"${lines[0]}")" = '"key" must be a string of 1 to 512 bytes' ]
	run rdv "" '{"key": "k", "node": 2, "total": 2}'
	[ "$(jq -r .error <<<"${lines[0]}")" = '"total" must be an integer above "node", at most 100000' ]
	run rdv "" '{"key": "k", "node": -1, "total": 2}'
	[ "$(jq -r .error <<<"${lines[0]}")" = '"node" must be an integer from 0 to 99999' ]
	run rdv "" 'not json'
	[ "$(jq -r .error <<<"${lines[0]}")" = 'the body must be a JSON object' ]
	run rdv /publish "{\"key\": \"none\", \"node\": 0, \"job\": \"$job\", \"addresses\": [\"a:1\"], \"token\": \"$token\"}"
	[ "${lines[-1]}" = 404 ]
	run rdv "" '{"key": "k", "node": 0, "total": 2}'
	run rdv /publish "{\"key\": \"k\", \"node\": 0, \"job\": \"$job\", \"addresses\": [\"a:1\"], \"token\": \"short\"}"
	[ "$(jq -r .error <<<"${lines[0]}")" = '"token" must be a string of 32 to 256 bytes' ]
	run rdv /publish "{\"key\": \"k\", \"node\": 0, \"job\": \"j1\", \"addresses\": [\"a:1\"], \"token\": \"$token\"}"
	[ "$(jq -r .error <<<"${lines[0]}")" = '"job" must be a job UUID' ]
	run rdv /publish "{\"key\": \"k\", \"node\": 0, \"job\": \"$job\", \"addresses\": [], \"token\": \"$token\"}"
	[ "$(jq -r .error <<<"${lines[0]}")" = '"addresses" must be an array of 1 to 64 strings' ]
}
