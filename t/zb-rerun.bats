#!/usr/bin/env bats
# CI reruns (seed 002): a rerun of a failed GitLab job (same pipeline and
# job name, a new CI_JOB_ID) runs only the tests that failed; a rerun of
# a passing job runs everything.

load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
	dagzd_start
	m=$(manifest <<'EOF2'
{"id": "a", "sh": "echo a >>ran"}
{"id": "b", "sh": "echo b >>ran; test -e fixed"}
{"id": "c", "sh": "echo c >>ran"}
{"id": "d", "sh": "echo d >>ran; test -e fixed"}
EOF2
)
	export GITLAB_CI=true CI_PIPELINE_ID=4242 CI_JOB_NAME=unit
	export CI_PROJECT_PATH=group/project
}

teardown() {
	dagzd_stop
}

@test "a rerun of a failed GitLab job runs only the failed tests; of a passing one, all" {
	CI_JOB_ID=1001 run -1 dagz_run -j 2 --retries 0 --manifest "$m"
	[ "$(sort ran | tr '\n' ' ')" = "a b c d " ]
	zb job j1 --json | jq -e '.ci.provider == "gitlab" and .ci.run == "4242"
	    and .ci.job_id == "1001" and .ci.attempt == 1 and .rerun_of == null'

	# Retried in GitLab: a new job id, the same pipeline and job name.
	rm ran
	touch fixed
	CI_JOB_ID=1002 run -0 dagz_run -j 2 --retries 0 --manifest "$m"
	echo "$output"
	grep -q 'dagz: rerun of job j1: running the 2 tests that failed there' <<<"$output"
	[ "$(sort ran | tr '\n' ' ')" = "b d " ]
	zb job j2 --json | jq -e '.rerun_of == "j1" and .ci.attempt == 2
	    and .ci.job_id == "1002" and .status == "passed"
	    and .counts == {"OK": 2, "REDUNDANT": 2}'
	diff -u <(printf '%s\n' 'a REDUNDANT passed in job j1' 'b OK null' \
	    'c REDUNDANT passed in job j1' 'd OK null') \
	    <(zb tests j2 | jq -r '"\(.test) \(.status) \(.reason)"')
	grep -q 'summary: 4 tests .*: 2 OK, 2 REDUNDANT' <<<"$output" ||
	    grep -q 'summary: 4 tests .*2 OK.*2 REDUNDANT' <<<"$output"

	# That rerun passed: rerunning it again runs everything.
	rm ran
	CI_JOB_ID=1003 run -0 dagz_run -j 2 --retries 0 --manifest "$m"
	grep -q 'dagz: rerun of job j2, which did not fail: running every test' <<<"$output"
	[ "$(sort ran | tr '\n' ' ')" = "a b c d " ]
	zb job j3 --json | jq -e '.rerun_of == "j2" and .ci.attempt == 3
	    and .counts == {"OK": 4}'
}

@test "another pipeline or another job name is not a rerun" {
	CI_JOB_ID=1001 run -1 dagz_run --retries 0 --manifest "$m"
	rm ran
	# --all: selection would leave out what passed and did not change.
	CI_JOB_ID=1002 CI_JOB_NAME=lint run -1 dagz_run --all --retries 0 --manifest "$m"
	[ "$(sort ran | tr '\n' ' ')" = "a b c d " ]
	rm ran
	CI_JOB_ID=1003 CI_PIPELINE_ID=4243 run -1 dagz_run --all --retries 0 --manifest "$m"
	[ "$(sort ran | tr '\n' ' ')" = "a b c d " ]
	[ "$(zb jobs | jq -s 'map(.rerun_of) | unique')" = '[
  null
]' ]
}

@test "GitHub Actions: GITHUB_RUN_ATTEMPT names the attempt" {
	unset GITLAB_CI CI_PIPELINE_ID CI_JOB_NAME
	export GITHUB_ACTIONS=true GITHUB_RUN_ID=99 GITHUB_JOB=test
	export GITHUB_REPOSITORY=o/r GITHUB_SERVER_URL=https://github.example
	GITHUB_RUN_ATTEMPT=1 run -1 dagz_run --retries 0 --manifest "$m"
	rm ran
	GITHUB_RUN_ATTEMPT=2 run -1 dagz_run --retries 0 --manifest "$m"
	[ "$(sort ran | tr '\n' ' ')" = "b d " ]
	zb job j2 --json | jq -e '.ci.provider == "github" and .ci.attempt == 2
	    and .rerun_of == "j1"
	    and .ci.url == "https://github.example/o/r/actions/runs/99"'
}
