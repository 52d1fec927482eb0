/*
 * collect.c: the table of adapters, and the merge of what each collected
 * into the node's one suite. Ids stay unique across adapters: a clash is
 * bad input naming both sources. Also what adapters that ask a tool for
 * the tests share: running it, quoting for sh.
 */
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collect.h"
#include "slurp.h"
#include "utf8.h"
#include "xmalloc.h"

static const struct collector collectors[] = {
	{ "manifest", collect_manifest },
	{ "exec", collect_exec },
	{ "tap", collect_tap },
	{ "bats", collect_bats },
	{ "ctest", collect_ctest },
	{ "pytest", collect_pytest },
	{ "automake", collect_automake },
};

static const struct collector *
collect_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof collectors / sizeof collectors[0]; i++)
		if (strcmp(collectors[i].name, name) == 0)
			return (&collectors[i]);
	return (NULL);
}

/* Moves the tests and fixtures of part into s; -1 on a clash. */
static int
collect_merge(struct suite *s, struct suite *part, const char *source,
    char *err, size_t len)
{
	struct test_def *dup;
	char reason[256], *esc;
	size_t i;

	for (i = 0; i < part->ntests; i++) {
		/* Adapters take ids from other tools' output: check them. */
		if (testdef_check_id(part->tests[i].id, reason,
		    sizeof reason) == -1) {
			esc = utf8_escape(part->tests[i].id);
			snprintf(err, len, "%s: test '%s': %s", source, esc,
			    reason);
			free(esc);
			return (-1);
		}
		if ((dup = suite_find(s, part->tests[i].id)) == NULL)
			continue;
		snprintf(err, len, "%s: test id '%s' is also collected by %s",
		    source, part->tests[i].id,
		    dup->source != NULL ? dup->source : "another adapter");
		return (-1);
	}
	for (i = 0; i < part->nfixtures; i++) {
		if (suite_find_fixture(s, part->fixtures[i].name) == NULL)
			continue;
		snprintf(err, len, "%s: fixture '%s' is defined twice", source,
		    part->fixtures[i].name);
		return (-1);
	}
	for (i = 0; i < part->ntests; i++) {
		if (part->tests[i].source == NULL)
			part->tests[i].source = xstrdup(source);
		suite_add_test(s, &part->tests[i]);
	}
	for (i = 0; i < part->nfixtures; i++)
		suite_add_fixture(s, &part->fixtures[i]);
	if (s->dir == NULL && part->dir != NULL) {
		s->dir = part->dir;
		part->dir = NULL;
	}
	/* The definitions moved: free only the arrays of part. */
	free(part->tests);
	free(part->fixtures);
	free(part->dir);
	suite_init(part);
	return (0);
}

int
collect_all(const struct adapter_list *l, struct suite *s, char *err,
    size_t len)
{
	const struct collector *c;
	struct suite part;
	size_t i;

	suite_init(s);
	for (i = 0; i < l->n; i++) {
		if ((c = collect_find(l->v[i].name)) == NULL) {
			snprintf(err, len, "%s: unknown adapter '%s'",
			    l->v[i].source, l->v[i].name);
			goto fail;
		}
		suite_init(&part);
		if (c->collect(&l->v[i], &part, err, len) == -1)
			goto fail;
		if (collect_merge(s, &part, l->v[i].source, err, len) == -1) {
			suite_clear(&part);
			goto fail;
		}
	}
	if (l->n > 1 && suite_check(s, "tests", NULL, err, len) == -1)
		goto fail;
	if (s->dir == NULL)
		s->dir = xstrdup(l->n > 0 ? l->v[0].dir : "/");
	return (0);
fail:
	suite_clear(s);
	return (-1);
}

/* A file for the tool's stderr, already unlinked: only the fd is left. */
static int
collect_tmpfile(void)
{
	const char *tmp;
	char *path;
	int fd;

	if ((tmp = getenv("TMPDIR")) == NULL || *tmp == '\0')
		tmp = "/tmp";
	xasprintf(&path, "%s/dagz-collect.XXXXXX", tmp);
	if ((fd = mkostemp(path, O_CLOEXEC)) != -1)
		unlink(path);
	free(path);
	return (fd);
}

int
collect_run(char *const *argv, const char *dir, char **out, char **errout)
{
	pid_t pid;
	int pfd[2], efd, null, status, saved;

	*out = NULL;
	*errout = NULL;
	if ((efd = collect_tmpfile()) == -1) {
		xasprintf(errout, "cannot make a temporary file: %s",
		    strerror(errno));
		return (-1);
	}
	if (pipe2(pfd, O_CLOEXEC) == -1) {
		xasprintf(errout, "cannot make a pipe: %s", strerror(errno));
		close(efd);
		return (-1);
	}
	fflush(stderr);
	if ((pid = fork()) == -1) {
		saved = errno;
		close(pfd[0]);
		close(pfd[1]);
		close(efd);
		xasprintf(errout, "cannot fork: %s", strerror(saved));
		return (-1);
	}
	if (pid == 0) {
		if ((null = open("/dev/null", O_RDONLY)) == -1 ||
		    dup2(null, 0) == -1 || dup2(pfd[1], 1) == -1 ||
		    dup2(efd, 2) == -1)
			_exit(127);
		if (chdir(dir) == -1) {
			dprintf(2, "cannot change to '%s': %s\n", dir,
			    strerror(errno));
			_exit(127);
		}
		execvp(argv[0], argv);
		dprintf(2, "cannot run '%s': %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	*out = slurp_fd(pfd[0], 0, NULL);
	saved = errno;
	close(pfd[0]);
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR) {
			status = -1;
			break;
		}
	lseek(efd, 0, SEEK_SET);
	*errout = slurp_fd(efd, 0, NULL);
	close(efd);
	if (*errout == NULL)
		*errout = xstrdup("");
	if (*out == NULL) {
		free(*errout);
		xasprintf(errout, "cannot read the output of '%s': %s",
		    argv[0], strerror(saved));
		return (-1);
	}
	if (status == -1)
		return (-1);
	if (WIFSIGNALED(status))
		return (128 + WTERMSIG(status));
	return (WEXITSTATUS(status));
}

char *
collect_sh_quote(const char *v)
{
	char *q, *p;
	size_t n = 0;
	const char *s;

	if (*v != '\0' && strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"
	    "opqrstuvwxyz0123456789_-+./:,@%") == strlen(v))
		return (xstrdup(v));
	for (s = v; *s != '\0'; s++)
		n += *s == '\'' ? 4 : 1;
	p = q = xmalloc(n + 3);
	*p++ = '\'';
	for (s = v; *s != '\0'; s++) {
		if (*s == '\'') {
			memcpy(p, "'\\''", 4);
			p += 4;
		} else
			*p++ = *s;
	}
	*p++ = '\'';
	*p = '\0';
	return (q);
}
