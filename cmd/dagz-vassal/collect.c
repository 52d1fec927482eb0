/*
 * collect.c: the table of adapters, and the merge of what each collected
 * into the node's one suite. Ids stay unique across adapters: a clash is
 * bad input naming both sources.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect.h"
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
	size_t i;

	for (i = 0; i < part->ntests; i++) {
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
