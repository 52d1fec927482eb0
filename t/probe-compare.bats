#!/usr/bin/env bats
# libdagzprobe.so must not change what a program sees: the same commands,
# each run in a fresh copy of the same tree, print the same stdout and
# stderr and exit with the same status with and without the probe;
# errno after every failing (and succeeding) call is the same, and so are
# the descriptors a program gets.

load probe-helpers

setup() {
	probe_setup
}

# A tree with a bit of everything, made anew for each run.
make_tree() {
	cd "$BATS_TEST_TMPDIR"
	rm -rf "$root"
	mkdir -p "$root/sub"
	cd "$root"
	echo hello >data.txt
	echo inner >sub/inner.txt
	ln -s data.txt link
	echo text >noexec
	printf 'greet() { echo "hi from lib"; }\n' >lib.sh
	printf '#!/bin/sh\n. ./lib.sh\ngreet\ncat data.txt | tr a-z A-Z\n%s\n' \
	    'echo made >made.txt; cat made.txt; cat nothere; exit 4' >run.sh
	chmod +x run.sh
}

# Runs the command in a fresh tree without, then with the probe; fails if
# its stdout, stderr or exit status differ.
same() {
	local s1=0 s2=0 t=$BATS_TEST_TMPDIR

	make_tree
	env "$@" >"$t/plain.out" 2>"$t/plain.err" || s1=$?
	make_tree
	probed "$@" >"$t/probed.out" 2>"$t/probed.err" || s2=$?
	diff -u "$t/plain.out" "$t/probed.out"
	diff -u "$t/plain.err" "$t/probed.err"
	if [ "$s1" != "$s2" ]; then
		echo "exit status $s1 without the probe, $s2 with it"
		return 1
	fi
}

@test "errno and return values of every wrapped call are unchanged" {
	compile "$BATS_TEST_TMPDIR/errno-check" <<'EOF'
#define _GNU_SOURCE
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* errno is set to a value no call sets, to see that success keeps it. */
#define T(what, expr) do {						\
	long r_;							\
									\
	errno = 4242;							\
	r_ = (long)(expr);						\
	printf("%-28s %ld errno=%d\n", what, r_, errno);		\
} while (0)

static volatile sig_atomic_t fd_in_handler = -2;

static void
on_alarm(int sig)
{
	int fd = open("data.txt", O_RDONLY);

	fd_in_handler = fd;
	if (fd >= 0)
		close(fd);
}

int
main(void)
{
	char buf[64], longname[PATH_MAX + 16], *noargv[] = { "x", NULL };
	char *noenv[] = { NULL };
	struct stat sb;
	struct statx stx;
	pid_t pid;
	int dfd, fd;

	memset(longname, 'a', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	dfd = open("sub", O_RDONLY | O_DIRECTORY);
	T("open missing", open("nothere", O_RDONLY));
	T("open existing", fd = open("data.txt", O_RDONLY));
	close(fd);
	T("open dir for writing", open("sub", O_WRONLY));
	T("open through a file", open("data.txt/x", O_RDONLY));
	T("open O_DIRECTORY on file", open("data.txt", O_DIRECTORY));
	T("open too long", open(longname, O_RDONLY));
	T("openat bad fd", openat(999, "x", O_RDONLY));
	T("openat dirfd", fd = openat(dfd, "inner.txt", O_RDONLY));
	close(fd);
	T("openat dirfd missing", openat(dfd, "none", O_RDONLY));
	T("open create", fd = open("new.txt", O_WRONLY | O_CREAT | O_EXCL,
	    0600));
	close(fd);
	T("open create again", open("new.txt", O_WRONLY | O_CREAT | O_EXCL,
	    0600));
	T("creat in missing dir", creat("nodir/x", 0644));
	T("fopen missing", fopen("nothere", "r") != NULL);
	T("fopen existing", fopen("data.txt", "r") != NULL);
	T("fopen for append", fopen("new.txt", "a+") != NULL);
	T("freopen missing", freopen("nothere", "r", stdin) != NULL);
	T("stat missing", stat("nothere", &sb));
	T("stat existing", stat("data.txt", &sb));
	T("stat through a file", stat("data.txt/x", &sb));
	T("stat too long", stat(longname, &sb));
	T("lstat link", lstat("link", &sb));
	T("fstatat missing", fstatat(dfd, "none", &sb, 0));
	T("fstatat empty path", fstatat(dfd, "", &sb, AT_EMPTY_PATH));
	T("statx missing", statx(AT_FDCWD, "nothere", 0, STATX_ALL, &stx));
	T("statx existing", statx(AT_FDCWD, "data.txt", 0, STATX_ALL, &stx));
	T("access missing", access("nothere", F_OK));
	T("access existing", access("data.txt", R_OK));
	T("access X_OK not executable", access("noexec", X_OK));
	T("faccessat missing", faccessat(dfd, "none", F_OK, 0));
	T("euidaccess missing", euidaccess("nothere", R_OK));
	T("readlink link", readlink("link", buf, sizeof buf));
	T("readlink file", readlink("data.txt", buf, sizeof buf));
	T("readlink missing", readlink("nothere", buf, sizeof buf));
	T("realpath missing", realpath("nothere", NULL) != NULL);
	T("opendir missing", opendir("nothere") != NULL);
	T("opendir file", opendir("data.txt") != NULL);
	T("opendir existing", opendir("sub") != NULL);
	T("rename missing", rename("nothere", "x"));
	T("rename", rename("new.txt", "renamed.txt"));
	T("unlink missing", unlink("nothere"));
	T("unlink", unlink("renamed.txt"));
	T("mkdir existing", mkdir("sub", 0755));
	T("rmdir missing", rmdir("nothere"));
	T("chdir missing", chdir("nothere"));
	T("execve missing", execve("./nothere", noargv, noenv));
	T("execve not executable", execve("./noexec", noargv, noenv));
	T("execvp missing", execvp("no-such-program-here", noargv));
	T("execlp missing", execlp("no-such-program-here", "x", (char *)0));
	T("posix_spawn missing", posix_spawn(&pid, "./nothere", NULL, NULL,
	    noargv, noenv));
	T("waitpid no child", waitpid(-1, NULL, 0));
	T("wait no child", wait(NULL));
	T("system", system("exit 3"));
	signal(SIGALRM, on_alarm);
	raise(SIGALRM);
	T("open in a signal handler", fd_in_handler);
	/* The probe holds no descriptor of its own. */
	T("next descriptor", open("/dev/null", O_RDONLY));
	return (0);
}
EOF
	same "$BATS_TEST_TMPDIR/errno-check"
	# The check itself saw what it should.
	grep -q '^open missing  *-1 errno=2$' "$BATS_TEST_TMPDIR/probed.out"
	grep -q '^stat existing  *0 errno=4242$' \
	    "$BATS_TEST_TMPDIR/probed.out"
	grep -q '^open in a signal handler  *[0-9]' \
	    "$BATS_TEST_TMPDIR/probed.out"
	# And the probe did record it.
	trace_has missing nothere
	trace_has reads data.txt
}

@test "coreutils: cat, ls, find, cp, mv, rm behave the same" {
	same cat data.txt nothere sub
	same ls -1 sub nothere
	same ls -la nothere
	same sh -c 'find . | sort'
	same sh -c 'cp -r sub copy && mv copy moved && ls -R moved && rm -r moved'
	same sh -c 'ln -s nowhere dangling; ls -l dangling | cut -c1; cat dangling'
}

@test "shells: scripts, subprocesses, sourcing, redirections, exec" {
	same ./run.sh
	same sh -c '. ./lib.sh; greet; exec 3<data.txt; cat <&3'
	same sh -c 'cd sub && cat inner.txt ../data.txt && cd /nonexistent'
	# A limit that leaves no descriptor to spare: the probe keeps none.
	same sh -c 'for fd in 3 4 5 6 7 8 9; do eval "exec $fd>&-"; done
	    ulimit -n 4; cat data.txt'
	same env -i /bin/sh -c 'cat data.txt; echo "${HOME-unset}"'
	if command -v bash >/dev/null; then
		same bash -c 'source lib.sh; greet; [[ -e nothere ]] || echo no;
		    while read -r l; do echo "[$l]"; done <data.txt'
	fi
}

@test "interpreters behave the same" {
	command -v python3 >/dev/null || skip "no python3"
	same python3 -c '
import os, sys
print(open("data.txt").read().strip(), os.path.exists("nothere"))
print(sorted(os.listdir("sub")))
try:
    open("nothere")
except OSError as e:
    print(e.errno, e.strerror)
sys.exit(5)'
}
