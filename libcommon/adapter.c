/*
 * adapter.c: the specs of the adapters a job collects with, and their
 * JSON form (the scheduler hands them to each vassal on its command
 * line).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapter.h"
#include "jsonv.h"
#include "strv.h"
#include "xmalloc.h"

const char *const adapter_names[] = {
	"manifest", "exec", "tap", "bats", "ctest", "pytest", "automake",
	NULL
};

int
adapter_known(const char *name)
{
	size_t i;

	for (i = 0; adapter_names[i] != NULL; i++)
		if (strcmp(adapter_names[i], name) == 0)
			return (1);
	return (0);
}

void
adapter_spec_init(struct adapter_spec *a)
{
	memset(a, 0, sizeof *a);
}

void
adapter_spec_clear(struct adapter_spec *a)
{
	free(a->name);
	strv_free(a->args);
	free(a->dir);
	free(a->cwd);
	free(a->exec);
	free(a->python);
	free(a->coverage);
	free(a->source);
	adapter_spec_init(a);
}

void
adapter_list_init(struct adapter_list *l)
{
	memset(l, 0, sizeof *l);
}

void
adapter_list_clear(struct adapter_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		adapter_spec_clear(&l->v[i]);
	free(l->v);
	adapter_list_init(l);
}

struct adapter_spec *
adapter_list_add(struct adapter_list *l, const char *name, const char *dir,
    const char *source)
{
	struct adapter_spec *a;

	l->v = xreallocarray(l->v, l->n + 1, sizeof *l->v);
	a = &l->v[l->n++];
	adapter_spec_init(a);
	a->name = xstrdup(name);
	a->dir = xstrdup(dir);
	a->source = xstrdup(source != NULL ? source : name);
	return (a);
}

static void
adapter_set(json_t *o, const char *key, const char *value)
{
	if (value != NULL)
		json_object_set_new(o, key, json_string(value));
}

json_t *
adapter_list_encode(const struct adapter_list *l)
{
	json_t *a = json_array(), *o, *args;
	size_t i, j;

	for (i = 0; i < l->n; i++) {
		o = json_object();
		adapter_set(o, "adapter", l->v[i].name);
		args = json_array();
		for (j = 0; l->v[i].args != NULL && l->v[i].args[j] != NULL;
		    j++)
			json_array_append_new(args,
			    json_string(l->v[i].args[j]));
		json_object_set_new(o, "args", args);
		adapter_set(o, "dir", l->v[i].dir);
		adapter_set(o, "cwd", l->v[i].cwd);
		adapter_set(o, "exec", l->v[i].exec);
		adapter_set(o, "python", l->v[i].python);
		adapter_set(o, "coverage", l->v[i].coverage);
		adapter_set(o, "source", l->v[i].source);
		json_array_append_new(a, o);
	}
	return (a);
}

int
adapter_list_decode(json_t *a, struct adapter_list *l, char *err, size_t len)
{
	static const char *const keys[] = { "adapter", "args", "dir", "cwd",
	    "exec", "python", "coverage", "source", NULL };
	struct adapter_spec *s;
	json_t *o;
	size_t i;

	adapter_list_init(l);
	if (!json_is_array(a)) {
		snprintf(err, len, "adapters must be a JSON array");
		return (-1);
	}
	json_array_foreach(a, i, o) {
		if (!json_is_object(o)) {
			snprintf(err, len, "an adapter must be an object");
			goto fail;
		}
		l->v = xreallocarray(l->v, l->n + 1, sizeof *l->v);
		s = &l->v[l->n++];
		adapter_spec_init(s);
		if (jsonv_keys(o, keys, err, len) == -1 ||
		    jsonv_string(o, "adapter", 1, &s->name, err, len) == -1 ||
		    jsonv_strv(o, "args", 0, &s->args, err, len) == -1 ||
		    jsonv_string(o, "dir", 1, &s->dir, err, len) == -1 ||
		    jsonv_string(o, "cwd", 0, &s->cwd, err, len) == -1 ||
		    jsonv_string(o, "exec", 0, &s->exec, err, len) == -1 ||
		    jsonv_string(o, "python", 0, &s->python, err, len) == -1 ||
		    jsonv_string(o, "coverage", 0, &s->coverage, err,
		    len) == -1 ||
		    jsonv_string(o, "source", 0, &s->source, err, len) == -1)
			goto fail;
		if (!adapter_known(s->name)) {
			snprintf(err, len, "unknown adapter \"%s\"", s->name);
			goto fail;
		}
		if (s->source == NULL)
			s->source = xstrdup(s->name);
	}
	return (0);
fail:
	adapter_list_clear(l);
	return (-1);
}
