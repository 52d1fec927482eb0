#!/usr/bin/env bats
# libdagzprobe.so and the programs a test starts: the probe follows them
# through scrubbed environments, records how each ended, and marks the
# trace incomplete when it cannot follow one (statically linked,
# set-user-ID, or traced elsewhere).

load probe-helpers

setup() {
	probe_setup
	echo hello >data.txt
}

@test "env -i: the probe and its variables are put back" {
	run probed env -i /bin/sh -c 'cat data.txt; echo "[$LD_PRELOAD]"'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = hello ]
	[ "${lines[1]}" = "[$(realpath "$PROBE")]" ]
	trace_has reads data.txt
	[ "$(trace .incomplete)" = false ]
	[ "$(trace '.apps | map(.argv[0])')" = '["env","/bin/sh","cat"]' ]
	# env ran sh by exec: the same process, one image after the other.
	[ "$(trace '.apps[0].exec')" = true ]
	[ "$(trace '.apps[1].pid == .apps[0].pid')" = true ]
}

@test "LD_PRELOAD replaced or a DAGZ_PROBE_ variable removed: put back" {
	run probed env LD_PRELOAD= sh -c 'echo "[$LD_PRELOAD]"'
	[ "$output" = "[$(realpath "$PROBE")]" ]
	run probed env -u DAGZ_PROBE_OUT sh -c 'cat data.txt'
	[ "$output" = hello ]
	[ "$(trace '[.apps[] | select(.argv[0] == "cat")] | length')" = 1 ]
	trace_has reads data.txt
	[ "$(trace .incomplete)" = false ]
}

@test "execve, execle, posix_spawn, vfork with an empty environment" {
	for f in a b c d e; do echo "$f" >"$f.txt"; done
	compile ./spawner <<'EOF'
#include <sys/wait.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <unistd.h>

int
main(void)
{
	char *empty[] = { NULL };
	char *argv[] = { "cat", "a.txt", NULL };
	char *sargv[] = { "cat", "c.txt", NULL };
	char *vargv[] = { "cat", "d.txt", NULL };
	char *eargv[] = { "cat", NULL };
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int st, bad = 0;

	if ((pid = fork()) == 0) {
		execve("/bin/cat", argv, empty);
		_exit(127);
	}
	waitpid(pid, &st, 0);
	bad |= st;
	if ((pid = fork()) == 0) {
		execle("/bin/cat", "cat", "b.txt", (char *)NULL, empty);
		_exit(127);
	}
	waitpid(pid, &st, 0);
	bad |= st;
	posix_spawn(&pid, "/bin/cat", NULL, NULL, sargv, NULL);
	waitpid(pid, &st, 0);
	bad |= st;
	if ((pid = vfork()) == 0) {
		execve("/bin/cat", vargv, empty);
		_exit(127);
	}
	waitpid(pid, &st, 0);
	bad |= st;
	/* The child opens its input inside libc. */
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "e.txt", O_RDONLY, 0);
	posix_spawn(&pid, "/bin/cat", &fa, NULL, eargv, empty);
	waitpid(pid, &st, 0);
	return (bad | st);
}
EOF
	run probed ./spawner
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'a\nb\nc\nd\ne')" ]
	trace_has reads a.txt b.txt c.txt d.txt e.txt
	[ "$(trace '[.apps[] | select(.argv[0] == "cat") | .exit]')" = \
	    '[0,0,0,0,0]' ]
	[ "$(trace .incomplete)" = false ]
}

@test "exit statuses and signals of the programs a test ran" {
	run probed sh -c 'sh -c "exit 3"; sh -c "kill -KILL \$\$";
	    sh -c "kill -TERM \$\$"; true'
	[ "$status" -eq 0 ]
	[ "$(trace '.apps[0] | [.exit, .signal]')" = '[0,null]' ]
	[ "$(trace '[.apps[1:][] | [.argv[2], .exit, .signal]]')" = \
	    '[["exit 3",3,null],["kill -KILL $$",null,9],["kill -TERM $$",null,15]]' ]
	[ "$(trace '[.apps[] | .end != null]')" = '[true,true,true,true]' ]
	[ "$(trace '[.apps[1:][] | .parent]')" = '[0,0,0]' ]
}

@test "a program found through PATH under the root; missing candidates" {
	mkdir bin
	printf '#!/bin/sh\necho tool ran\n' >bin/tool
	chmod +x bin/tool
	run probed env PATH="$root/none:$root/bin:/usr/bin:/bin" tool
	[ "$status" -eq 0 ]
	[ "$output" = "tool ran" ]
	trace_has reads bin/tool
	trace_has missing none/tool
}

@test "a statically linked program makes the trace incomplete" {
	compile ./static -static <<'EOF' ||
#include <stdio.h>

int
main(void)
{
	puts("static ran");
	return (0);
}
EOF
	    skip "no static C library (libc.a) to link a static program"
	run probed sh -c './static; cat data.txt'
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'static ran\nhello')" ]
	[ "$(trace .incomplete)" = true ]
	[ "$(trace .reasons)" = \
	    "[\"statically linked program '$root/static'\"]" ]
	[ "$(trace '[.apps[] | select(.traced == false) | .argv]')" = \
	    '[["./static"]]' ]
	# The shell's reap says how it ended.
	[ "$(trace '[.apps[] | select(.traced == false) | .exit]')" = '[0]' ]
	trace_has reads static data.txt

	# So does a script whose interpreter is one.
	rm -f "$out"/*
	printf '#!%s\n' "$root/static" >script
	chmod +x script
	run probed sh -c ./script
	[ "$output" = "static ran" ]
	[ "$(trace .reasons)" = \
	    "[\"statically linked program '$root/static'\"]" ]

	# Run directly, with no traced process at all, nothing is recorded.
	rm -f "$out"/*
	run probed ./static
	[ "$output" = "static ran" ]
	[ "$(trace .reasons)" = '["nothing was recorded"]' ]
}

@test "a program for another loader: incomplete, the probe kept out of it" {
	loader=$(readlink -f /lib64/ld-linux-x86-64.so.2 2>/dev/null) ||
	    skip "no x86-64 loader to rename"
	ln -s "$loader" "$root/other-ld.so"
	compile ./otherld -Wl,--dynamic-linker="$root/other-ld.so" <<'EOF'
#include <stdio.h>
#include <stdlib.h>

int
main(void)
{
	const char *p = getenv("LD_PRELOAD");

	printf("LD_PRELOAD=%s\n", p != NULL ? p : "(none)");
	return (0);
}
EOF
	run probed env LD_PRELOAD="$PROBE:libm.so.6" sh -c ./otherld
	[ "$status" -eq 0 ]
	# Only the probe is taken out.
	[ "$output" = "LD_PRELOAD=libm.so.6" ]
	[ "$(trace .reasons)" = \
	    "[\"program for another loader '$root/otherld'\"]" ]
	[ "$(trace '[.apps[] | select(.traced == false) | .argv]')" = \
	    '[["./otherld"]]' ]
}

@test "a dynamically linked program keeps the trace complete" {
	compile ./dynamic <<'EOF'
#include <stdio.h>

int
main(void)
{
	FILE *f = fopen("data.txt", "r");
	char b[16];

	if (f == NULL || fgets(b, sizeof b, f) == NULL)
		return (1);
	fputs(b, stdout);
	return (0);
}
EOF
	run probed sh -c ./dynamic
	[ "$status" -eq 0 ]
	[ "$output" = hello ]
	[ "$(trace .incomplete)" = false ]
	trace_has reads dynamic data.txt
}

@test "a set-user-ID program of another user makes the trace incomplete" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to give a file to another user"
	id nobody >/dev/null 2>&1 || skip "no user nobody"
	cp /bin/true suid
	chown nobody suid
	chmod 4755 suid
	run probed sh -c './suid'
	[ "$status" -eq 0 ]
	[ "$(trace .reasons)" = \
	    "[\"set-user-ID or set-group-ID program '$root/suid'\"]" ]
}

@test "a program given its own DAGZ_PROBE_OUT: incomplete here" {
	mkdir "$BATS_TEST_TMPDIR/elsewhere"
	run probed env DAGZ_PROBE_OUT="$BATS_TEST_TMPDIR/elsewhere" cat data.txt
	[ "$status" -eq 0 ]
	[ "$(trace .reasons)" = \
	    '["program started with another DAGZ_PROBE_ variable '"'cat'"'"]' ]
	# It was traced, into the other directory.
	ls "$BATS_TEST_TMPDIR/elsewhere"/*.trace
}

@test "system() after the program dropped the probe: incomplete" {
	compile ./sys <<'EOF'
#include <stdlib.h>

int
main(void)
{
	unsetenv("LD_PRELOAD");
	return (system("cat data.txt"));
}
EOF
	run probed ./sys
	[ "$status" -eq 0 ]
	[ "$output" = hello ]
	[ "$(trace .incomplete)" = true ]
	[ "$(trace .reasons)" = '["shell started by system or popen without the probe in its environment '"'cat data.txt'"'"]' ]
}
