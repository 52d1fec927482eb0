#!/usr/bin/env bats
# libdagzprobe.so on real programs: what a test reads, looks for in vain
# and writes under the project root, whichever process does it, and
# what survives a process killed with SIGKILL.

load probe-helpers

setup() {
	probe_setup
	echo hello >data.txt
	mkdir -p sub/deeper
	echo inner >sub/inner.txt
}

@test "cat of a file records a read and the app" {
	run probed cat data.txt
	[ "$status" -eq 0 ]
	[ "$output" = hello ]
	[ "$(trace .reads)" = '["data.txt"]' ]
	[ "$(trace .missing)" = '[]' ]
	[ "$(trace .writes)" = '[]' ]
	[ "$(trace .incomplete)" = false ]
	[ "$(trace '.apps | map([.argv, .parent, .exit, .traced])')" = \
	    '[[["cat","data.txt"],null,0,true]]' ]
	# Each line of each file is a JSON object.
	cat "$out"/*.trace | jq -e -s 'length > 0 and all(type == "object")'
}

@test "a script that runs cat through a subprocess: both files, three apps" {
	printf '#!/bin/sh\ncat data.txt | tr a-z A-Z\n' >run.sh
	chmod +x run.sh
	run probed ./run.sh
	[ "$status" -eq 0 ]
	[ "$output" = HELLO ]
	trace_has reads data.txt run.sh
	[ "$(trace '.apps | map(.argv) | sort')" = \
	    '[["/bin/sh","./run.sh"],["cat","data.txt"],["tr","a-z","A-Z"]]' ]
	# The shell came first; cat and tr were started by it.
	[ "$(trace '.apps[0].argv[0]')" = '"/bin/sh"' ]
	[ "$(trace '[.apps[1:][] | .parent]')" = '[0,0]' ]
	[ "$(trace '[.apps[] | .exit]')" = '[0,0,0]' ]
}

@test "a library sourced by sh is a dependency" {
	printf 'greet() { echo "hi from lib"; }\n' >lib.sh
	run probed sh -c '. ./lib.sh; greet'
	[ "$status" -eq 0 ]
	[ "$output" = "hi from lib" ]
	trace_has reads lib.sh
	if command -v bash >/dev/null; then
		rm -f "$out"/*
		run probed bash -c 'source lib.sh && greet'
		[ "$output" = "hi from lib" ]
		trace_has reads lib.sh
	fi
}

@test "ls of a directory records its listing as a dependency" {
	run probed ls sub
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'deeper\ninner.txt')" ]
	[ "$(trace .lists)" = '["sub"]' ]
	[ "$(trace .incomplete)" = false ]
}

@test "paths looked up and not found are recorded as missing" {
	run probed sh -c 'test -e conf.local; cat nodir/file 2>/dev/null;
	    ls sub/nothere 2>/dev/null; true'
	[ "$status" -eq 0 ]
	trace_has missing conf.local nodir/file sub/nothere
	trace_lacks reads conf.local nodir/file sub/nothere
}

@test "writes, renames, removals and new directories are outputs" {
	run probed sh -c 'echo x >out.txt; mv out.txt moved.txt;
	    mkdir newdir; echo y >newdir/f; rm newdir/f; rmdir newdir'
	[ "$status" -eq 0 ]
	# All were made by the test: each is written once, by its top-most
	# path, and was absent at the start.
	[ "$(trace .writes)" = '["moved.txt","newdir","out.txt"]' ]
	[ "$(trace .missing)" = '["moved.txt","newdir","out.txt"]' ]
	trace_lacks reads out.txt moved.txt
	# Records are stamped, and a file or directory made says so.
	grep -h '"path":"newdir"' "$out"/*.trace | jq -e -s \
	    '(map(.type) | sort) == ["create","write"] and
	    all((.t // .d) | type == "number")'
	grep -h '"path":"out.txt"' "$out"/*.trace | jq -e -s \
	    'map(.type) | index("create") != null'
}

@test "what a test makes is no dependency; what it found and rewrote is" {
	echo 0 >counter
	run probed sh -c 'rm -rf scratch; mkdir scratch; i=0
	    while [ $i -lt 200 ]; do i=$((i + 1)); echo $i >scratch/f$i
	    read x <scratch/f$i; done; ls scratch >/dev/null
	    rm -rf scratch
	    n=$(cat counter); echo $((n + 1)) >counter
	    echo x >data.txt; cat data.txt >/dev/null'
	[ "$status" -eq 0 ]
	# 200 files made, read and removed: one fact, scratch was absent.
	[ "$(trace .missing)" = '["scratch"]' ]
	[ "$(trace .writes)" = '["counter","data.txt","scratch"]' ]
	[ "$(trace .lists)" = '[]' ]
	# counter was read before it was rewritten; data.txt was there too,
	# but written before it was read.
	[ "$(trace .reads)" = '[".","counter","data.txt"]' ]
	[ "$(trace .rewrites)" = '["counter"]' ]
}

@test "a path that was there, removed and made again stays a dependency" {
	mkdir scratch
	echo old >scratch/keep
	run probed sh -c 'cat scratch/keep >/dev/null; rm -rf scratch
	    mkdir scratch; echo new >scratch/keep; echo t >made.txt'
	[ "$status" -eq 0 ]
	trace_has reads scratch/keep
	trace_has writes scratch scratch/keep made.txt
	[ "$(trace .missing)" = '["made.txt"]' ]
	# Records without times (an older probe's) are taken as found.
	sed -i -E 's/,"[td]":[0-9]+//' "$out"/*.trace
	[ "$(trace .missing)" = '[]' ]
	trace_has writes made.txt
}

@test "paths are made relative to the root from the cwd, a dirfd or an alias" {
	ln -s "$root" "$BATS_TEST_TMPDIR/alias"
	run probed sh -c 'cd sub && cat ../data.txt inner.txt /etc/hostname
	    "$0/data.txt" >/dev/null; find . -name "*.txt" >/dev/null' \
	    "$BATS_TEST_TMPDIR/alias"
	[ "$status" -eq 0 ]
	trace_has reads data.txt sub/inner.txt
	# Nothing outside the root, and no path in a spelling of its own.
	trace '.reads + .lists' | jq -e 'all(startswith("/") | not) and
	    all(. == "." or (test("(^|/)\\.\\.?(/|$)") | not))'
	# find looks at what it finds through a directory descriptor.
	trace_has lists sub sub/deeper
	trace_has reads sub/deeper
}

@test "a root given through a symbolic link matches the real paths" {
	ln -s "$root" "$BATS_TEST_TMPDIR/alias"
	run env LD_PRELOAD="$PROBE" DAGZ_PROBE_ROOT="$BATS_TEST_TMPDIR/alias" \
	    DAGZ_PROBE_OUT="$out" cat "$root/data.txt" \
	    "$BATS_TEST_TMPDIR/alias/sub/inner.txt"
	[ "$status" -eq 0 ]
	[ "$(trace .reads)" = '["data.txt","sub/inner.txt"]' ]
}

@test "a .. after a symbolic link is kept as written" {
	mkdir -p real/inner
	echo r >real/f
	ln -s real/inner link
	run probed cat link/../f
	[ "$status" -eq 0 ]
	[ "$output" = r ]
	[ "$(trace .reads)" = '["link/../f"]' ]
}

@test "paths that are not plain text are recorded exactly" {
	name=$'odd "name"\twith\ncontrol'
	latin=$'caf\xe9'
	echo a >"$name"
	echo b >"$latin"
	run probed cat "$name" "$latin"
	[ "$status" -eq 0 ]
	trace_has reads "$name"
	grep -h '"path_hex":"636166e9"' "$out"/*.trace
}

@test "records made before a SIGKILL are kept, the parent saw the kill" {
	printf 'x=1\n' >lib.sh
	run probed sh -c 'sh -c ". ./lib.sh; kill -9 \$\$"; echo "inner: $?"'
	[ "$status" -eq 0 ]
	# (The outer shell may say "Killed" first.)
	[ "${lines[-1]}" = "inner: 137" ]
	trace_has reads lib.sh
	[ "$(trace '[.apps[] | select(.argv[2] | startswith(". ./lib")) |
	    [.signal, .exit]]')" = '[[9,null]]' ]
	[ "$(trace .incomplete)" = false ]
}

@test "threads, forks, vfork and posix_spawn all record, none interleaves" {
	mkdir files
	for t in 0 1 2 3 4 5 6 7; do
		for i in $(seq 0 49); do : >"files/t$t-$i"; done
	done
	for f in 0 1 2 3; do
		for i in $(seq 0 9); do : >"files/f$f-$i"; done
	done
	: >files/vforked
	: >files/spawned
	compile ./stress <<'EOF'
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <unistd.h>

static void *
reader(void *arg)
{
	char p[64];
	struct stat sb;
	int i, fd;

	for (i = 0; i < 50; i++) {
		snprintf(p, sizeof p, "files/t%ld-%d", (long)arg, i);
		if ((fd = open(p, O_RDONLY)) >= 0)
			close(fd);
		stat(p, &sb);
	}
	return (NULL);
}

int
main(void)
{
	char *vargv[] = { "cat", "files/vforked", NULL };
	char *sargv[] = { "cat", "files/spawned", NULL };
	char *empty[] = { NULL };
	pthread_t th[8];
	pid_t pid;
	long i;
	int j, fd, st;

	for (i = 0; i < 8; i++)
		pthread_create(&th[i], NULL, reader, (void *)i);
	for (i = 0; i < 4; i++) {
		if (fork() == 0) {
			char p[64];

			for (j = 0; j < 10; j++) {
				snprintf(p, sizeof p, "files/f%ld-%d", i, j);
				if ((fd = open(p, O_RDONLY)) >= 0)
					close(fd);
			}
			_exit(0);
		}
	}
	if ((pid = vfork()) == 0) {
		execve("/bin/cat", vargv, empty);
		_exit(127);
	}
	posix_spawn(&pid, "/bin/cat", NULL, NULL, sargv, empty);
	for (i = 0; i < 8; i++)
		pthread_join(th[i], NULL);
	while (wait(&st) > 0)
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			return (1);
	return (0);
}
EOF
	run probed ./stress
	[ "$status" -eq 0 ]
	[ "$(trace '[.reads[] | select(startswith("files/"))] | length')" = 442 ]
	[ "$(trace .incomplete)" = false ]
	# The children of vfork and posix_spawn ran with an empty environment.
	[ "$(trace '[.apps[] | select(.argv[0] == "cat")] | length')" = 2 ]
	cat "$out"/*.trace | jq -e -s 'all(type == "object")'
}

@test "a vfork child that changes directory does not move its parent's paths" {
	echo other >other.txt
	compile ./vforker <<'EOF'
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

int
main(void)
{
	pid_t pid;
	int fd, st;

	if ((fd = open("data.txt", O_RDONLY)) >= 0)
		close(fd);
	if ((pid = vfork()) == 0) {
		if (chdir("sub") == 0 && (fd = open("inner.txt", O_RDONLY)) >= 0)
			close(fd);
		_exit(0);
	}
	waitpid(pid, &st, 0);
	if ((fd = open("other.txt", O_RDONLY)) >= 0)
		close(fd);
	return (0);
}
EOF
	run probed ./vforker
	[ "$status" -eq 0 ]
	trace_has reads data.txt sub/inner.txt other.txt
	trace_lacks reads inner.txt sub/other.txt
}

@test "signal handlers that call into the probe while it is busy" {
	mkdir files
	for i in $(seq 0 499); do : >"files/f$i"; done
	echo s >sig.txt
	compile ./signals <<'EOF'
#include <sys/stat.h>
#include <sys/time.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

static volatile sig_atomic_t hits;

static void
on_alarm(int sig)
{
	struct stat sb;

	if (stat("sig.txt", &sb) == 0)
		hits++;
}

int
main(void)
{
	struct itimerval it = { { 0, 50 }, { 0, 50 } };
	char p[64];
	int i, round, fd;

	signal(SIGALRM, on_alarm);
	setitimer(ITIMER_REAL, &it, NULL);
	for (round = 0; round < 20; round++)
		for (i = 0; i < 500; i++) {
			snprintf(p, sizeof p, "files/f%d", i);
			if ((fd = open(p, O_RDONLY)) >= 0)
				close(fd);
		}
	signal(SIGALRM, SIG_IGN);
	return (hits > 0 ? 0 : 1);
}
EOF
	run timeout 60 env LD_PRELOAD="$PROBE" DAGZ_PROBE_ROOT="$root" \
	    DAGZ_PROBE_OUT="$out" ./signals
	[ "$status" -eq 0 ]
	[ "$(trace '[.reads[] | select(startswith("files/"))] | length')" = 500 ]
	trace_has reads sig.txt
	[ "$(trace .incomplete)" = false ]
}

@test "a trace over DAGZ_PROBE_LIMIT is cut short and incomplete" {
	mkdir many
	for i in $(seq 1 300); do : >"many/file-with-a-longish-name-$i"; done
	run env LD_PRELOAD="$PROBE" DAGZ_PROBE_ROOT="$root" \
	    DAGZ_PROBE_OUT="$out" DAGZ_PROBE_LIMIT=4096 sh -c 'cat many/*'
	[ "$status" -eq 0 ]
	[ "$(trace .incomplete)" = true ]
	[ "$(trace .reasons)" = '["trace cut short at DAGZ_PROBE_LIMIT"]' ]
	[ "$(stat -c %s "$out"/*.trace | sort -n | tail -n 1)" -le 4096 ]
}

@test "a process re-reading many files writes each record a few times at most" {
	# 10,000 files, more than the set keeps before it must grow, read
	# 30 times: a set that did not grow would write each some 12 times.
	compile ./reread <<'EOF'
#include <sys/stat.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int
main(int argc, char *argv[])
{
	struct stat sb;
	char path[64];
	long n, passes, i, p;
	int fd;

	if (argc != 4)
		return (2);
	n = atol(argv[2]);
	passes = atol(argv[3]);
	if (argv[1][0] == 'c' && mkdir("many", 0755) == -1)
		return (1);
	for (p = 0; p < passes; p++)
		for (i = 0; i < n; i++) {
			snprintf(path, sizeof path, "many/f%ld", i);
			if (argv[1][0] == 'c') {
				if ((fd = creat(path, 0644)) == -1)
					return (1);
				close(fd);
			} else if (stat(path, &sb) == -1)
				return (1);
		}
	return (0);
}
EOF
	./reread create 10000 1
	run probed ./reread read 10000 30
	[ "$status" -eq 0 ]
	[ "$(trace '[.reads[] | select(startswith("many/"))] | length')" = 10000 ]
	[ "$(trace .incomplete)" = false ]
	written=$(cat "$out"/*.trace | grep -c '"path":"many/')
	echo "records written: $written"
	[ "$written" -le 60000 ]
}

@test "a process looking up 100,000 paths once records every one once" {
	compile ./lookup <<'EOF'
#include <fcntl.h>
#include <stdio.h>

int
main(void)
{
	char path[64];
	long i;

	for (i = 0; i < 100000; i++) {
		snprintf(path, sizeof path, "f%ld", i);
		if (open(path, O_RDONLY) != -1)
			return (1);
	}
	return (0);
}
EOF
	run probed ./lookup
	[ "$status" -eq 0 ]
	[ "$(cat "$out"/*.trace | grep -c '"type":"missing","path":"f')" = 100000 ]
	[ "$(trace '.missing | length')" = 100000 ]
}

@test "a file size limit the program set is kept to, without SIGXFSZ" {
	mkdir many
	for i in $(seq 1 300); do : >"many/file-with-a-longish-name-$i"; done
	# 16 blocks of 512 bytes: cat's trace needs more than that.
	run probed sh -c 'ulimit -f 16 && cat many/* && echo done'
	[ "$status" -eq 0 ]
	[ "$output" = done ]
	[ "$(trace .incomplete)" = true ]
	[ "$(trace .reasons)" = \
	    '["cannot extend the trace file (errno 27)"]' ]
	[ "$(stat -c %s "$out"/*.trace | sort -n | tail -n 1)" -le 8192 ]
}

@test "an output directory under the root is never a dependency" {
	mkdir traces
	run env LD_PRELOAD="$PROBE" DAGZ_PROBE_ROOT="$root" \
	    DAGZ_PROBE_OUT="$root/traces" sh -c 'cat data.txt; ls traces;
	    cat traces/*.trace; cd traces && cat ../sub/inner.txt *.trace'
	[ "$status" -eq 0 ]
	out=$root/traces
	trace_has reads data.txt sub/inner.txt
	[ "$(trace '[.reads[], .lists[] | select(startswith("traces"))]')" = \
	    '[]' ]
}

@test "without DAGZ_PROBE_OUT the probe records nothing and changes nothing" {
	run env LD_PRELOAD="$PROBE" DAGZ_PROBE_ROOT="$root" cat data.txt
	[ "$status" -eq 0 ]
	[ "$output" = hello ]
	[ -z "$(ls -A "$out")" ]
}
