/*
 * sched-filter.c: choosing what runs (--filter REGEX, TEST_ID...) and
 * --list. A chosen test brings what it needs, as ctest -R brings a
 * test's fixture setup; what is left out is not part of the job.
 */
#include <err.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sched.h"
#include "strv.h"
#include "xmalloc.h"

static struct test *
filter_find(struct sched *s, const char *id)
{
	size_t i;

	for (i = 0; i < s->ntests; i++)
		if (strcmp(s->tests[i].def.id, id) == 0)
			return (&s->tests[i]);
	return (NULL);
}

/* Marks t and everything it needs, transitively. */
static void
filter_keep(struct sched *s, struct test *t, char *keep)
{
	struct test *d;
	size_t j;

	if (keep[t - s->tests])
		return;
	keep[t - s->tests] = 1;
	for (j = 0; t->def.needs != NULL && t->def.needs[j] != NULL; j++)
		if ((d = filter_find(s, t->def.needs[j])) != NULL)
			filter_keep(s, d, keep);
}

/* Drops from v the names of tests that are no longer collected. */
static char **
filter_names(struct sched *s, char **v)
{
	char **out = NULL;
	size_t j;

	for (j = 0; v != NULL && v[j] != NULL; j++)
		if (filter_find(s, v[j]) != NULL)
			out = strv_push(out, v[j]);
	strv_free(v);
	return (out);
}

/*
 * Keeps the tests whose keep[index] is set, in order; an "after" that
 * names a test left out is dropped (it runs after nothing there).
 */
void
filter_compact(struct sched *s, const char *keep)
{
	size_t i, n;

	for (i = n = 0; i < s->ntests; i++) {
		if (keep[i])
			s->tests[n++] = s->tests[i];
		else
			testdef_clear(&s->tests[i].def);
	}
	s->ntests = n;
	for (i = 0; i < s->ntests; i++)
		s->tests[i].def.after = filter_names(s, s->tests[i].def.after);
}

int
filter_apply(struct sched *s)
{
	regex_t re;
	char *keep, msg[256];
	size_t i;
	int rc;

	if (s->opt.filter == NULL && s->opt.test_ids == NULL)
		return (0);
	if (s->opt.filter != NULL &&
	    (rc = regcomp(&re, s->opt.filter, REG_EXTENDED | REG_NOSUB)) != 0) {
		regerror(rc, &re, msg, sizeof msg);
		warnx("--filter '%s': %s", s->opt.filter, msg);
		return (-1);
	}
	for (i = 0; s->opt.test_ids != NULL && s->opt.test_ids[i] != NULL;
	    i++) {
		if (filter_find(s, s->opt.test_ids[i]) != NULL)
			continue;
		warnx("no test '%s' was collected from %s",
		    s->opt.test_ids[i], s->opt.suite_name);
		if (s->opt.filter != NULL)
			regfree(&re);
		return (-1);
	}
	keep = xcalloc(s->ntests + 1, 1);
	for (i = 0; i < s->ntests; i++) {
		if (strv_contains(s->opt.test_ids, s->tests[i].def.id) ||
		    (s->opt.filter != NULL && regexec(&re, s->tests[i].def.id,
		    0, NULL, 0) == 0))
			filter_keep(s, &s->tests[i], keep);
	}
	if (s->opt.filter != NULL)
		regfree(&re);
	filter_compact(s, keep);
	free(keep);
	if (s->ntests == 0) {
		warnx("--filter '%s' matches no test collected from %s",
		    s->opt.filter, s->opt.suite_name);
		return (-1);
	}
	return (0);
}

/* --list: the collected tests and fixtures, in the manifest's form. */
void
filter_list(struct sched *s)
{
	json_t *o;
	char *line;
	size_t i;

	for (i = 0; i < s->nfixtures; i++) {
		o = fixturedef_to_json(&s->fixtures[i].def);
		line = json_dumps(o, JSON_COMPACT);
		printf("%s\n", line);
		free(line);
		json_decref(o);
	}
	for (i = 0; i < s->ntests; i++) {
		o = testdef_to_json(&s->tests[i].def);
		line = json_dumps(o, JSON_COMPACT);
		printf("%s\n", line);
		free(line);
		json_decref(o);
	}
	fflush(stdout);
}
