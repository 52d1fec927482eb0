#!/usr/bin/env bats
# HTTPS: dagzd serving TLS with --tls-cert and --tls-key, and the store
# client (zb, dagz run, store_stream_open) verifying its certificate
# against a CA of the test's own, given through DAGZ_CA_FILE.

load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
	tls_make_ca ca
	tls_make_cert ca server
}

teardown() {
	dagzd_stop
}

# Starts a dagzd serving server.pem; sets URL to its https://localhost URL.
start_tls() {
	dagzd_start --tls-cert server.pem --tls-key server.key "$@"
	URL=https://localhost:$DAGZD_PORT
}

@test "dagzd --tls-cert serves https://; zb and curl verify it with DAGZ_CA_FILE" {
	start_tls
	[ "$DAGZ_URL" = "https://127.0.0.1:$DAGZD_PORT" ]
	[ "$(cat "$DAGZ_HOME/local.env/url")" = "$DAGZ_URL" ]
	[ "$(curl -sS --cacert ca.pem "$URL/api/v1/ping" | jq -r .url)" = "$DAGZ_URL" ]
	DAGZ_URL=$URL DAGZ_CA_FILE=ca.pem run -0 zb daemon status --json
	[ "$(jq -r .pid <<<"$output")" = "$DAGZD_PID" ]
	# The address, checked against the certificate's IP entry.
	DAGZ_CA_FILE=ca.pem run -0 zb jobs --json
	[ "$output" = "" ]
	# The url file names the https URL: found without DAGZ_URL.
	(unset DAGZ_URL; DAGZ_CA_FILE=ca.pem zb daemon status --json) |
	    jq -e ".pid == $DAGZD_PID"
}

@test "dagz run records its job through an https:// dagzd" {
	start_tls
	m=$(manifest <<'EOF'
{"id": "one", "sh": "echo one"}
{"id": "two", "sh": "echo two"}
EOF
)
	export DAGZ_URL=$URL DAGZ_CA_FILE=$BATS_TEST_TMPDIR/ca.pem
	run -0 --separate-stderr dagz_run --manifest "$m"
	[ "$stderr" = "" ]
	zb job j1 --json | jq -e '.status == "passed" and .tests == 2 and
	    .counts == {"OK": 2}'
	[ "$(zb logs j1 two)" = "$(printf '==> two (attempt 1: OK) <==\ntwo')" ]
	[ -z "$(ls "$DAGZ_HOME/spool")" ]
}

@test "a certificate the client's CAs do not sign is refused, naming the reason" {
	start_tls
	# Not in the system's store, and DAGZ_CA_FILE not set.
	DAGZ_URL=$URL run -3 --separate-stderr zb jobs
	[ "$stderr" = "zb: cannot reach dagzd at $URL: certificate verify failed: unable to get local issuer certificate" ]
	# Another CA's.
	tls_make_ca other
	DAGZ_URL=$URL DAGZ_CA_FILE=other.pem run -3 --separate-stderr zb jobs
	[ "$stderr" = "zb: cannot reach dagzd at $URL: certificate verify failed: unable to get local issuer certificate" ]
	# The right CA, but a name the certificate is not for.
	tls_make_cert ca elsewhere DNS:elsewhere.example
	dagzd_stop
	rm -f "$DAGZ_HOME/local.env/url"
	dagzd_start --tls-cert elsewhere.pem --tls-key elsewhere.key
	DAGZ_URL=https://localhost:$DAGZD_PORT DAGZ_CA_FILE=ca.pem \
	    run -3 --separate-stderr zb jobs
	[ "$stderr" = "zb: cannot reach dagzd at https://localhost:$DAGZD_PORT: certificate verify failed: hostname mismatch" ]
	DAGZ_CA_FILE=ca.pem run -3 --separate-stderr zb jobs
	[ "$stderr" = "zb: cannot reach dagzd at https://127.0.0.1:$DAGZD_PORT: certificate verify failed: IP address mismatch" ]
	# A CA file that is none.
	DAGZ_URL=$URL DAGZ_CA_FILE=missing.pem run -3 --separate-stderr zb jobs
	[ "$stderr" = "zb: cannot reach dagzd at $URL: cannot use DAGZ_CA_FILE 'missing.pem': No such file or directory" ]
}

@test "dagz run spools its records when the certificate is refused" {
	start_tls
	m=$(manifest <<'EOF'
{"id": "one", "sh": "echo one"}
EOF
)
	export DAGZ_URL=$URL
	run -0 --separate-stderr dagz_run --manifest "$m"
	grep -qxF "dagz-run: store: cannot reach dagzd at $URL: certificate verify failed: unable to get local issuer certificate; the job's records are kept in '$DAGZ_HOME/spool/$(ls "$DAGZ_HOME/spool")' and sent when it answers" <<<"$stderr"
	# No plain dagzd started in its place, nor tried.
	! grep -q "zb" <<<"$stderr"
	[ "$(curl -sS --cacert ca.pem "$URL/api/v1/ping" | jq -r .pid)" = "$DAGZD_PID" ]
	[ "$(ls "$DAGZ_HOME/spool" | wc -l)" -eq 1 ]
	DAGZ_CA_FILE=ca.pem run -0 zb jobs --json
	[ "$output" = "" ]
}

@test "plain HTTP to the TLS port fails cleanly; a stalled handshake holds up no one" {
	start_tls
	# A client that starts a handshake and stalls in it.
	exec 5<>"/dev/tcp/127.0.0.1/$DAGZD_PORT"
	printf '\026\003\001\002\000\001\000\001\374\003\003' >&5
	DAGZ_URL=http://localhost:$DAGZD_PORT run -3 --separate-stderr \
	    timeout 10 zb jobs
	[ "$stderr" = "zb: cannot reach dagzd at http://localhost:$DAGZD_PORT: connection closed; start it with 'zb daemon up --bg'" ]
	run ! curl -sS --max-time 5 "http://localhost:$DAGZD_PORT/api/v1/ping"
	DAGZ_URL=$URL DAGZ_CA_FILE=ca.pem run -0 timeout 5 zb daemon status --json
	[ "$(jq -r .pid <<<"$output")" = "$DAGZD_PID" ]
	[ "$(curl -sS --max-time 5 --cacert ca.pem "$URL/api/v1/ping" | jq -r .pid)" = "$DAGZD_PID" ]
	exec 5>&-
	kill -0 "$DAGZD_PID"
}

@test "bad --tls-cert and --tls-key: one line, exit 2" {
	tls_make_cert ca other
	run -2 --separate-stderr dagzd -H home --tls-cert server.pem
	[ "$stderr" = "dagzd: --tls-cert needs --tls-key: give both or neither" ]
	run -2 --separate-stderr dagzd -H home --tls-key server.key
	[ "$stderr" = "dagzd: --tls-key needs --tls-cert: give both or neither" ]
	run -2 --separate-stderr dagzd -H home --tls-cert nothere.pem \
	    --tls-key server.key
	[ "$stderr" = "dagzd: --tls-cert: cannot read 'nothere.pem': No such file or directory" ]
	run -2 --separate-stderr dagzd -H home --tls-cert server.key \
	    --tls-key server.key
	[ "$stderr" = "dagzd: --tls-cert: no PEM certificate in 'server.key'" ]
	run -2 --separate-stderr dagzd -H home --tls-cert server.pem \
	    --tls-key server.pem
	[ "$stderr" = "dagzd: --tls-key: no unencrypted PEM private key in 'server.pem'" ]
	run -2 --separate-stderr dagzd -H home --tls-cert server.pem \
	    --tls-key other.key
	[ "$stderr" = "dagzd: --tls-key: the key in 'other.key' does not match the certificate in 'server.pem'" ]
	[ ! -e home ]
}

@test "store_stream_open: a verified TLS stream to dagzd, or the reason it is refused" {
	# http://: a plain stream.
	dagzd_start
	run -0 "$DAGZ_BUILDDIR/t/store-client" stream "$DAGZ_URL"
	[ "$output" = "HTTP/1.1 200 OK" ]
	dagzd_stop
	start_tls
	DAGZ_CA_FILE=ca.pem run -0 "$DAGZ_BUILDDIR/t/store-client" stream "$URL"
	[ "$output" = "HTTP/1.1 200 OK" ]
	run -1 "$DAGZ_BUILDDIR/t/store-client" stream "$URL"
	[ "$output" = "error: certificate verify failed: unable to get local issuer certificate" ]
	run -2 "$DAGZ_BUILDDIR/t/store-client" stream "ftp://localhost:1"
	[ "$output" = "error: invalid dagzd URL 'ftp://localhost:1': expected http://HOST:PORT or https://HOST:PORT" ]
	port=$(free_port)
	run -1 "$DAGZ_BUILDDIR/t/store-client" stream "https://127.0.0.1:$port"
	[ "$output" = "error: Connection refused" ]
}

@test "a store connection reconnects over TLS to a restarted dagzd" {
	port=$(free_port)
	DAGZD_LISTEN=127.0.0.1:$port start_tls
	first=$DAGZD_PID
	mkfifo in
	DAGZ_CA_FILE=ca.pem "$DAGZ_BUILDDIR/t/store-client" conn "$URL" <in >out 3>&- &
	client=$!
	exec 4>in
	echo "GET /api/v1/ping" >&4
	for i in $(seq 100); do [ -s out ] && break; sleep 0.05; done
	dagzd_stop
	# Not holding the pipe open: the client stops at its end.
	DAGZD_LISTEN=127.0.0.1:$port start_tls 4>&-
	echo "GET /api/v1/ping" >&4
	exec 4>&-
	wait "$client"
	[ "$(cut -d' ' -f1 out | tr '\n' ' ')" = "200 200 " ]
	[ "$(cut -d' ' -f2- out | jq -r .pid | tr '\n' ' ')" = "$first $DAGZD_PID " ]
}
