#!/usr/bin/env bats
# --worker-mem-budget SIZE (or worker_mem_budget: in .dagz/config.yaml):
# a worker whose kept processes (itself and what its fixtures' setups
# left running) have grown past the budget is recycled before its next
# test: fixtures torn down, a fresh worker, --worker-init and the setups
# again. Finished results are kept, nothing running is killed, and the
# console, the report, the events file and the store say so.

load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
	command -v perl >/dev/null || skip "perl is needed"
	d=$BATS_TEST_TMPDIR
	# A server the fixture keeps: small until SIGUSR1, then 128 MiB.
	cat >server.pl <<'PERL'
my ($d, $mib) = @ARGV;
my $x;
$SIG{USR1} = sub {
	# Not a constant, which perl would build as it compiles.
	$x = "a" x ($mib << 20);
	open(my $f, ">", "$d/grown") or die;
	close($f);
};
open(my $f, ">", "$d/server.pid.new") or die;
print $f "$$\n";
close($f);
rename("$d/server.pid.new", "$d/server.pid") or die;
sleep(1000) while 1;
PERL
	# Three tests in order on one worker, sharing the fixture; the
	# second makes the server grow and waits until it has.
	manifest <<EOF >/dev/null
{"fixture": "mem", "setup": "echo setup >>$d/log; rm -f $d/server.pid $d/grown; perl $d/server.pl $d 128 & until [ -e $d/server.pid ]; do sleep 0.01; done", "teardown": "echo teardown >>$d/log; kill \$(cat $d/server.pid)"}
{"id": "a", "sh": "echo a \$PPID >>$d/log", "fixtures": ["mem"]}
{"id": "b", "sh": "echo b \$PPID >>$d/log; kill -USR1 \$(cat $d/server.pid); until [ -e $d/grown ]; do sleep 0.01; done", "fixtures": ["mem"], "after": ["a"]}
{"id": "c", "sh": "echo c \$PPID >>$d/log", "fixtures": ["mem"], "after": ["b"]}
EOF
}

teardown() {
	dagzd_stop
}

# What the workers did, on one line: each test with its worker's pid as
# a letter, A for the first worker, B for the next; --worker-init and the
# fixture's setup (in either order) as "up".
story() {
	awk '$1 ~ /^[abc]$/ && !($2 in w) { w[$2] = substr("ABC", ++n, 1) }
	    { printf "%s ", $1 ~ /^[abc]$/ ? $1 w[$2] : $1 }' log |
	    sed -E 's/(init setup|setup init)/up/g; s/ $//'
}

@test "a worker over its budget is recycled between tests: fixtures and init anew, results kept" {
	dagzd_start
	MARK=$d run -0 dagz_run -j 1 --events ev.ndjson \
	    --manifest suite.ndjson --worker-mem-budget 64M \
	    --worker-init "echo init >>$d/log" \
	    --worker-cleanup "echo cleanup >>$d/log"
	echo "$output"
	cat log
	# After b the worker kept 128 MiB and more; after a it did not.
	[ "$(story)" = "up aA bA teardown cleanup up cB teardown cleanup" ]
	# Console lines start with the time since the start.
	grep -Eq '^[0-9:.]+ worker #0 recycled: kept processes use (1[3-9][0-9]|[2-9][0-9][0-9]) MiB, over the 64 MiB worker budget$' <<<"$output"
	[ "$(grep -c recycled <<<"$output")" -eq 2 ]
	grep -Eq '^[0-9:.]+   worker #0 recycled 1 time: kept processes over the 64 MiB worker budget$' <<<"$output"
	for t in a b c; do
		[ "$(event_status ev.ndjson $t)" = OK ]
		[ "$(jq -r --arg t $t 'select(.type == "result" and .test == $t) | .attempt' ev.ndjson)" = 1 ]
	done
	run -0 jq -c 'select(.type == "recycle") | [.worker, .budget, .kept_rss > 128 * 1048576, .end >= .start]' ev.ndjson
	[ "$output" = '[0,67108864,true,true]' ]
	# The store has it: a "recycle" span on the job.
	job=$(jq -r 'select(.type == "summary") | .job' ev.ndjson)
	run -0 zb spans "$job" --type recycle --json
	[ "${#lines[@]}" -eq 1 ]
	run -0 jq -c '[.name, .status, .attrs.worker, .attrs.budget, .attrs.kept_rss > 128 * 1048576, .parent]' <<<"$output"
	[ "$output" = '["worker #0","OK",0,67108864,true,null]' ]
	# Neither worker nor either server is left.
	assert_no_process_with_env MARK "$d"
}

@test "under the budget, or with none, the worker is kept; the config's budget is used, and a flag replaces it" {
	mkdir .dagz
	printf 'worker_mem_budget: 64M\n' >.dagz/config.yaml
	run -0 dagz_run -j 1 --manifest suite.ndjson
	grep -Eq '^[0-9:.]+ worker #0 recycled: .*, over the 64 MiB worker budget$' <<<"$output"
	[ "$(story)" = "setup aA bA teardown setup cB teardown" ]
	rm log
	run -0 dagz_run -j 1 --manifest suite.ndjson --worker-mem-budget 1G
	! grep -q recycled <<<"$output"
	[ "$(story)" = "setup aA bA cA teardown" ]
	rm log .dagz/config.yaml
	run -0 dagz_run -j 1 --manifest suite.ndjson
	! grep -q recycled <<<"$output"
	[ "$(story)" = "setup aA bA cA teardown" ]
}

@test "a bad size is one line and exit 2, nothing run" {
	run -2 dagz_run --manifest suite.ndjson --worker-mem-budget lots
	[ "$output" = "dagz-run: --worker-mem-budget: invalid size 'lots'" ]
	run -2 dagz_run --manifest suite.ndjson --worker-mem-budget 0
	[ "$output" = "dagz-run: --worker-mem-budget: invalid size '0'" ]
	run -2 dagz_run --manifest suite.ndjson --worker-mem-budget -1M
	[ "$output" = "dagz-run: --worker-mem-budget: invalid size '-1M'" ]
	mkdir .dagz
	printf 'worker_mem_budget: [1G]\n' >.dagz/config.yaml
	run -2 dagz_run --manifest suite.ndjson
	[ "$output" = "dagz-run: $PWD/.dagz/config.yaml:1: \"worker_mem_budget\" must be a size such as 512M, not a list" ]
	[ ! -e log ]
}
