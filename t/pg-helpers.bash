# t/pg-helpers.bash: a real PostgreSQL server for one test file (Debian's
# postgresql), in a temporary directory, listening on a Unix socket
# only. PostgreSQL refuses to run as root: as root, it runs as the
# postgres user, in a directory that user can reach.

# Runs a PostgreSQL program as the server's user.
pg_as() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# Starts the server; sets PG_BIN, PG_DIR and PGHOST (its socket's
# directory) and PGUSER, for psql and createdb too.
pg_start() {
	PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V |
	    tail -n 1)
	[ -x "$PG_BIN/initdb" ] || {
		echo "no PostgreSQL server: install postgresql" >&2
		return 1
	}
	PG_DIR=$(mktemp -d /tmp/dagz-pg-XXXXXX)
	chmod 755 "$PG_DIR"
	[ "$(id -u)" = 0 ] && chown postgres "$PG_DIR"
	pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust -U postgres \
	    --no-sync >"$PG_DIR/initdb.log" 2>&1 || {
		cat "$PG_DIR/initdb.log" >&2
		return 1
	}
	pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w \
	    -o "-k $PG_DIR -c listen_addresses= -c fsync=off" start \
	    >/dev/null || {
		cat "$PG_DIR/server.log" >&2
		return 1
	}
	export PG_BIN PG_DIR PGHOST=$PG_DIR PGUSER=postgres
}

# Stops the server and removes its directory.
pg_stop() {
	[ -n "${PG_DIR:-}" ] || return 0
	pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop \
	    >/dev/null 2>&1 || :
	rm -rf "$PG_DIR"
}
