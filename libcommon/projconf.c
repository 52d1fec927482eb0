/*
 * projconf.c: reading a project's .dagz/config.yaml. libyaml composes
 * the document; each node is then checked against the few keys dagz
 * knows, and every complaint names the file and the line of the node.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "ignore.h"
#include "projconf.h"
#include "strv.h"
#include "timeutil.h"
#include "utf8.h"
#include "workerenv.h"
#include "xmalloc.h"

/* What one load works on. */
struct pc_load {
	yaml_document_t	*doc;
	const char	*path;
	struct projconf	*c;
	char		*err;
	size_t		 len;
};

void
projconf_init(struct projconf *c)
{
	memset(c, 0, sizeof *c);
	adapter_list_init(&c->adapters);
}

void
projconf_clear(struct projconf *c)
{
	free(c->path);
	free(c->root);
	adapter_list_clear(&c->adapters);
	strv_free(c->globals);
	strv_free(c->ignores);
	strv_free(c->worker_env);
	free(c->python);
	free(c->coverage);
	free(c->project);
	free(c->main_branch);
	projconf_init(c);
}

int
projconf_find(const char *dir, char *path, size_t len)
{
	char cur[PATH_MAX], try[PATH_MAX + 32], *p;
	struct stat sb;

	if (realpath(dir, cur) == NULL &&
	    strlcpy(cur, dir, sizeof cur) >= sizeof cur)
		return (0);
	for (;;) {
		p = strcmp(cur, "/") == 0 ? "" : cur;
		snprintf(try, sizeof try, "%s/.dagz/config.yaml", p);
		if (stat(try, &sb) == 0) {
			if (strlcpy(path, try, len) >= len)
				return (0);
			return (1);
		}
		snprintf(try, sizeof try, "%s/.git", p);
		if (lstat(try, &sb) == 0 || *p == '\0')
			return (0);
		if ((p = strrchr(cur, '/')) == NULL)
			return (0);
		if (p == cur)
			p[1] = '\0';
		else
			*p = '\0';
	}
}

/*
 * Writes "PATH:LINE: reason" for node n (or line 0: none), the reason
 * escaped to one line, and fails.
 */
static int __attribute__((format(printf, 3, 4)))
pc_fail(struct pc_load *l, size_t line, const char *fmt, ...)
{
	char where[PATH_MAX + 32];
	va_list ap;

	if (line > 0)
		snprintf(where, sizeof where, "%s:%zu", l->path, line);
	else
		snprintf(where, sizeof where, "%s", l->path);
	va_start(ap, fmt);
	utf8_vline(l->err, l->len, where, fmt, ap);
	va_end(ap);
	return (-1);
}

static size_t
pc_line(const yaml_node_t *n)
{
	return (n->start_mark.line + 1);
}

/* A scalar that YAML reads as null: nothing, ~ or null. */
static int
pc_null(const yaml_node_t *n)
{
	const char *v;

	if (n->type != YAML_SCALAR_NODE)
		return (0);
	if (n->tag != NULL &&
	    strcmp((const char *)n->tag, YAML_NULL_TAG) == 0)
		return (1);
	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return (0);
	v = (const char *)n->data.scalar.value;
	return (*v == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
	    strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0);
}

/* A string: a scalar that is not null. */
static const char *
pc_string(const yaml_node_t *n)
{
	if (n == NULL || n->type != YAML_SCALAR_NODE || pc_null(n))
		return (NULL);
	return ((const char *)n->data.scalar.value);
}

/* What a node is, for messages: "a mapping", "a list", "\"3\"". */
static const char *
pc_what(const yaml_node_t *n, char *buf, size_t len)
{
	if (n->type == YAML_MAPPING_NODE)
		return ("a mapping");
	if (n->type == YAML_SEQUENCE_NODE)
		return ("a list");
	if (pc_null(n))
		return ("nothing");
	snprintf(buf, len, "\"%.40s\"", (const char *)n->data.scalar.value);
	return (buf);
}

static yaml_node_t *
pc_node(struct pc_load *l, int i)
{
	return (yaml_document_get_node(l->doc, i));
}

/*
 * The strings of n into *v: a string is one, a list is its items,
 * nothing is none. what names the value in messages.
 */
static int
pc_strings(struct pc_load *l, yaml_node_t *n, const char *what, char ***v)
{
	yaml_node_item_t *it;
	yaml_node_t *e;
	const char *s;
	char buf[64];

	if (pc_null(n))
		return (0);
	if ((s = pc_string(n)) != NULL) {
		*v = strv_push(*v, s);
		return (0);
	}
	if (n->type != YAML_SEQUENCE_NODE)
		return (pc_fail(l, pc_line(n), "%s must be a string or a list "
		    "of strings, not %s", what, pc_what(n, buf, sizeof buf)));
	for (it = n->data.sequence.items.start;
	    it < n->data.sequence.items.top; it++) {
		e = pc_node(l, *it);
		if ((s = pc_string(e)) == NULL)
			return (pc_fail(l, pc_line(e), "%s must be a list of "
			    "strings, not hold %s", what,
			    pc_what(e, buf, sizeof buf)));
		*v = strv_push(*v, s);
	}
	return (0);
}

/* A key's value that must be one string into *v, once. */
static int
pc_one(struct pc_load *l, yaml_node_t *k, yaml_node_t *n, char **v)
{
	const char *key = (const char *)k->data.scalar.value, *s;
	char buf[64];

	if (*v != NULL)
		return (pc_fail(l, pc_line(k), "\"%s\" given twice", key));
	if ((s = pc_string(n)) == NULL)
		return (pc_fail(l, pc_line(n), "\"%s\" must be a string, "
		    "not %s", key, pc_what(n, buf, sizeof buf)));
	*v = xstrdup(s);
	return (0);
}

/* A key's value that must be a whole number from min to max. */
static int
pc_int(struct pc_load *l, yaml_node_t *k, yaml_node_t *n, long long min,
    long long max, int *v)
{
	const char *key = (const char *)k->data.scalar.value, *s, *errstr;
	char buf[64];

	if ((s = pc_string(n)) == NULL)
		return (pc_fail(l, pc_line(n), "\"%s\" must be a number, "
		    "not %s", key, pc_what(n, buf, sizeof buf)));
	*v = strtonum(s, min, max, &errstr);
	if (errstr != NULL)
		return (pc_fail(l, pc_line(n), "\"%s\": %s is %s: %lld to "
		    "%lld", key, s, errstr, min, max));
	return (0);
}

/* A key's value that must be a size, "512M" as --mem-budget takes it. */
static int
pc_size(struct pc_load *l, yaml_node_t *k, yaml_node_t *n, long long *v)
{
	const char *key = (const char *)k->data.scalar.value, *s;
	char buf[64];

	if ((s = pc_string(n)) == NULL || time_parse_size(s, v) == -1)
		return (pc_fail(l, pc_line(n), "\"%s\" must be a size such as "
		    "512M, not %s", key, pc_what(n, buf, sizeof buf)));
	return (0);
}

/* The options an adapter takes besides its arguments. */
static const struct {
	const char	*key;
	size_t		 off;
	const char	*kinds[3];
	const char	*for_what;
} pc_options[] = {
	{ "cwd", offsetof(struct adapter_spec, cwd), { "tap" }, "tap" },
	{ "exec", offsetof(struct adapter_spec, exec), { "tap", "bats" },
	    "tap and bats" },
	{ "python", offsetof(struct adapter_spec, python), { "pytest" },
	    "pytest" },
};

static int
pc_option(const char *key)
{
	size_t i;

	for (i = 0; i < sizeof pc_options / sizeof pc_options[0]; i++)
		if (strcmp(pc_options[i].key, key) == 0)
			return ((int)i);
	return (-1);
}

static int
pc_option_fits(int o, const char *name)
{
	size_t i;

	for (i = 0; i < 3 && pc_options[o].kinds[i] != NULL; i++)
		if (strcmp(pc_options[o].kinds[i], name) == 0)
			return (1);
	return (0);
}

static const char *
pc_known_adapters(char *buf, size_t len)
{
	size_t i;

	buf[0] = '\0';
	for (i = 0; adapter_names[i] != NULL; i++) {
		if (i > 0)
			strlcat(buf, ", ", len);
		strlcat(buf, adapter_names[i], len);
	}
	return (buf);
}

/*
 * One item of adapters: a mapping of one adapter name to its arguments
 * and that adapter's options, or an adapter's name alone.
 */
static int
pc_adapter(struct pc_load *l, yaml_node_t *n)
{
	struct adapter_spec *a;
	yaml_node_pair_t *p, *q;
	yaml_node_t *k, *v, *name = NULL, *args = NULL, *exec = NULL;
	yaml_node_t *execv = NULL;
	char source[PATH_MAX + 32], buf[128];
	const char *key;
	int o;

	snprintf(source, sizeof source, "%s:%zu", l->path, pc_line(n));
	if ((key = pc_string(n)) != NULL) {
		if (!adapter_known(key))
			return (pc_fail(l, pc_line(n), "unknown adapter \"%s\" "
			    "(known: %s)", key, pc_known_adapters(buf,
			    sizeof buf)));
		adapter_list_add(&l->c->adapters, key, l->c->root, source);
		return (0);
	}
	if (n->type != YAML_MAPPING_NODE)
		return (pc_fail(l, pc_line(n), "an adapter must be a mapping "
		    "such as \"ctest: build\", not %s",
		    pc_what(n, buf, sizeof buf)));
	/* The adapter first, so that its options can be checked. */
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	    p++) {
		k = pc_node(l, p->key);
		if ((key = pc_string(k)) == NULL)
			return (pc_fail(l, pc_line(k), "a key must be a "
			    "string, not %s", pc_what(k, buf, sizeof buf)));
		for (q = n->data.mapping.pairs.start; q < p; q++)
			if (strcmp(pc_string(pc_node(l, q->key)), key) == 0)
				return (pc_fail(l, pc_line(k), "\"%s\" given "
				    "twice", key));
		if (strcmp(key, "exec") == 0) {
			exec = k;
			execv = pc_node(l, p->value);
			continue;
		}
		if (pc_option(key) != -1)
			continue;
		if (!adapter_known(key))
			return (pc_fail(l, pc_line(k), "unknown adapter \"%s\" "
			    "(known: %s)", key, pc_known_adapters(buf,
			    sizeof buf)));
		if (name != NULL)
			return (pc_fail(l, pc_line(k), "two adapters in one "
			    "item: \"%s\" and \"%s\" (each is an item of its "
			    "own: \"- %s: ...\")", (const char *)
			    name->data.scalar.value, key, key));
		name = k;
		args = pc_node(l, p->value);
	}
	/* exec: is tap's or bats' interpreter, else the adapter itself. */
	if (name == NULL && exec != NULL) {
		name = exec;
		args = execv;
	}
	if (name == NULL)
		return (pc_fail(l, pc_line(n), "no adapter in this item "
		    "(one of: %s)", pc_known_adapters(buf, sizeof buf)));
	key = (const char *)name->data.scalar.value;
	a = adapter_list_add(&l->c->adapters, key, l->c->root, source);
	if (pc_strings(l, args, key, &a->args) == -1)
		return (-1);
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	    p++) {
		k = pc_node(l, p->key);
		v = pc_node(l, p->value);
		if (k == name || (o = pc_option(pc_string(k))) == -1)
			continue;
		if (!pc_option_fits(o, a->name))
			return (pc_fail(l, pc_line(k), "\"%s\" is for %s only, "
			    "not %s", pc_options[o].key,
			    pc_options[o].for_what, a->name));
		if (pc_one(l, k, v, (char **)((char *)a + pc_options[o].off))
		    == -1)
			return (-1);
	}
	return (0);
}

static int
pc_adapters(struct pc_load *l, yaml_node_t *n)
{
	yaml_node_item_t *it;
	char buf[64];

	if (pc_null(n))
		return (0);
	if (n->type != YAML_SEQUENCE_NODE)
		return (pc_fail(l, pc_line(n), "\"adapters\" must be a list, "
		    "not %s", pc_what(n, buf, sizeof buf)));
	for (it = n->data.sequence.items.start;
	    it < n->data.sequence.items.top; it++)
		if (pc_adapter(l, pc_node(l, *it)) == -1)
			return (-1);
	return (0);
}

/* Why a global: pattern is refused, or NULL. */
static const char *
pc_global_bad(const char *s)
{
	return (*s == '/' ? " must be relative to the project's root" : NULL);
}

/* Why a worker_env: item is refused, or NULL. */
static const char *
pc_worker_env_bad(const char *s)
{
	static char why[128];
	const char *r;

	if ((r = workerenv_bad(s)) == NULL)
		return (NULL);
	snprintf(why, sizeof why, ": %s", r);
	return (why);
}

/* Why an ignore: pattern is refused, or NULL. */
static const char *
pc_ignore_bad(const char *s)
{
	if (*s == '!')
		return (": negation is not supported");
	if (strspn(s, "/") == strlen(s))
		return (" would ignore the whole project");
	return (NULL);
}

/*
 * A list of non-empty patterns under key, each one bad() does not refuse,
 * appended to *out; *given is set when the list is there, even empty.
 */
static int
pc_patterns(struct pc_load *l, yaml_node_t *n, const char *key,
    const char *(*bad)(const char *), char ***out, int *given)
{
	yaml_node_item_t *it;
	yaml_node_t *e;
	const char *s, *why;
	char buf[64];

	if (pc_null(n))
		return (0);
	if (n->type != YAML_SEQUENCE_NODE)
		return (pc_fail(l, pc_line(n), "\"%s\" must be a list of "
		    "patterns, not %s", key, pc_what(n, buf, sizeof buf)));
	if (given != NULL)
		*given = 1;
	for (it = n->data.sequence.items.start;
	    it < n->data.sequence.items.top; it++) {
		e = pc_node(l, *it);
		if ((s = pc_string(e)) == NULL || *s == '\0')
			return (pc_fail(l, pc_line(e), "\"%s\" must be a "
			    "list of patterns, not hold %s", key,
			    s != NULL ? "\"\"" : pc_what(e, buf, sizeof buf)));
		if ((why = bad(s)) != NULL)
			return (pc_fail(l, pc_line(e), "%s pattern \"%s\"%s",
			    key, s, why));
		*out = strv_push(*out, s);
	}
	return (0);
}

char *const *
projconf_ignores(const struct projconf *c)
{
	return (c->ignore_given ? c->ignores : ignore_defaults);
}

/* auto_quarantine: N, as --auto-quarantine takes it: 1 to 20. */
static int
pc_auto_quarantine(struct pc_load *l, yaml_node_t *n, int *v)
{
	const char *s = pc_string(n), *errstr;
	char buf[64];

	if (s != NULL)
		*v = strtonum(s, PROJCONF_AUTO_QUARANTINE_MIN,
		    PROJCONF_AUTO_QUARANTINE_MAX, &errstr);
	if (s == NULL || errstr != NULL)
		return (pc_fail(l, pc_line(n), "\"auto_quarantine\" must be "
		    "a number of jobs from %d to %d, not %s",
		    PROJCONF_AUTO_QUARANTINE_MIN, PROJCONF_AUTO_QUARANTINE_MAX,
		    pc_what(n, buf, sizeof buf)));
	return (0);
}

/*
 * coverage: python, the one language hook there is; gcov is known but
 * not in this release.
 */
static int
pc_coverage(struct pc_load *l, yaml_node_t *n, char **v)
{
	const char *s = pc_string(n);
	char buf[64];

	if (s != NULL && strcmp(s, "python") == 0) {
		*v = xstrdup(s);
		return (0);
	}
	if (s != NULL && strcmp(s, "gcov") == 0)
		return (pc_fail(l, pc_line(n), "\"coverage\": gcov is not "
		    "in this release (known: python)"));
	return (pc_fail(l, pc_line(n), "\"coverage\" must be python, not %s",
	    pc_what(n, buf, sizeof buf)));
}

/* The top level: a mapping of the keys below, each at most once. */
static int
pc_top(struct pc_load *l, yaml_node_t *n)
{
	static const char *const keys[] = { "adapters", "global", "python",
	    "project", "ignore", "worker_env", "new_tests_repeat",
	    "auto_quarantine", "main_branch", "worker_mem_budget", "coverage",
	    NULL };
	yaml_node_pair_t *p;
	yaml_node_t *k, *v;
	const char *key;
	char buf[64];
	size_t i;
	int seen[11] = { 0 }, rc;

	if (n == NULL || pc_null(n))
		return (0);
	if (n->type != YAML_MAPPING_NODE)
		return (pc_fail(l, pc_line(n), "the file must be a mapping of "
		    "adapters, auto_quarantine, coverage, global, ignore, "
		    "main_branch, new_tests_repeat, python, project, "
		    "worker_env and worker_mem_budget, not %s", pc_what(n, buf, sizeof buf)));
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	    p++) {
		k = pc_node(l, p->key);
		v = pc_node(l, p->value);
		if ((key = pc_string(k)) == NULL)
			return (pc_fail(l, pc_line(k), "a key must be a "
			    "string, not %s", pc_what(k, buf, sizeof buf)));
		for (i = 0; keys[i] != NULL; i++)
			if (strcmp(keys[i], key) == 0)
				break;
		if (keys[i] == NULL)
			return (pc_fail(l, pc_line(k), "unknown key \"%s\" "
			    "(known: adapters, auto_quarantine, coverage, "
			    "global, ignore, main_branch, new_tests_repeat, "
			    "python, project, worker_env, worker_mem_budget)",
			    key));
		if (seen[i]++)
			return (pc_fail(l, pc_line(k), "\"%s\" given twice",
			    key));
		switch (i) {
		case 0:
			rc = pc_adapters(l, v);
			break;
		case 1:
			rc = pc_patterns(l, v, "global", pc_global_bad,
			    &l->c->globals, NULL);
			break;
		case 2:
			rc = pc_one(l, k, v, &l->c->python);
			break;
		case 4:
			rc = pc_patterns(l, v, "ignore", pc_ignore_bad,
			    &l->c->ignores, &l->c->ignore_given);
			break;
		case 5:
			rc = pc_patterns(l, v, "worker_env", pc_worker_env_bad,
			    &l->c->worker_env, NULL);
			break;
		case 6:
			rc = pc_int(l, k, v, 1, 100, &l->c->new_tests_repeat);
			break;
		case 7:
			rc = pc_auto_quarantine(l, v, &l->c->auto_quarantine);
			break;
		case 8:
			rc = pc_one(l, k, v, &l->c->main_branch);
			break;
		case 9:
			rc = pc_size(l, k, v, &l->c->worker_mem_budget);
			break;
		case 10:
			rc = pc_coverage(l, v, &l->c->coverage);
			break;
		default:
			rc = pc_one(l, k, v, &l->c->project);
			break;
		}
		if (rc == -1)
			return (-1);
	}
	return (0);
}

/* A syntax error, as libyaml tells it. */
static int
pc_syntax(struct pc_load *l, const yaml_parser_t *p)
{
	size_t line;

	if (p->error == YAML_MEMORY_ERROR)
		return (pc_fail(l, 0, "out of memory"));
	line = p->error == YAML_READER_ERROR ? p->mark.line + 1 :
	    p->problem_mark.line + 1;
	if (p->context != NULL)
		return (pc_fail(l, line, "%s %s", p->context,
		    p->problem != NULL ? p->problem : "error"));
	return (pc_fail(l, line, "%s", p->problem != NULL ? p->problem :
	    "syntax error"));
}

/* The directory holding .dagz/, from the path of .dagz/config.yaml. */
static char *
pc_root(const char *path)
{
	char buf[PATH_MAX], real[PATH_MAX], *d;

	strlcpy(buf, path, sizeof buf);
	d = dirname(buf);
	strlcpy(buf, d, sizeof buf);
	strlcat(buf, "/..", sizeof buf);
	return (xstrdup(realpath(buf, real) != NULL ? real : buf));
}

int
projconf_load(const char *path, struct projconf *c, char *err, size_t len)
{
	struct pc_load l = { NULL, path, c, err, len };
	yaml_parser_t parser;
	yaml_document_t doc, next;
	struct stat sb;
	FILE *f;
	int rc = -1;

	projconf_init(c);
	if ((f = fopen(path, "re")) == NULL)
		return (pc_fail(&l, 0, "cannot read: %s", strerror(errno)));
	if (fstat(fileno(f), &sb) == 0 && S_ISDIR(sb.st_mode)) {
		fclose(f);
		return (pc_fail(&l, 0, "cannot read: %s", strerror(EISDIR)));
	}
	c->path = xstrdup(path);
	c->root = pc_root(path);
	if (!yaml_parser_initialize(&parser)) {
		fclose(f);
		projconf_clear(c);
		return (pc_fail(&l, 0, "out of memory"));
	}
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc)) {
		pc_syntax(&l, &parser);
		goto done;
	}
	l.doc = &doc;
	rc = pc_top(&l, yaml_document_get_root_node(&doc));
	if (rc == 0) {
		/* One document only: a second would be silently ignored. */
		if (!yaml_parser_load(&parser, &next))
			rc = pc_syntax(&l, &parser);
		else {
			if (yaml_document_get_root_node(&next) != NULL)
				rc = pc_fail(&l, next.start_mark.line + 1,
				    "a second document: the file must hold "
				    "one");
			yaml_document_delete(&next);
		}
	}
	yaml_document_delete(&doc);
	if (ferror(f))
		rc = pc_fail(&l, 0, "cannot read: %s", strerror(errno));
done:
	yaml_parser_delete(&parser);
	fclose(f);
	if (rc == -1)
		projconf_clear(c);
	return (rc);
}
