/*
 * cienv.c: CI metadata and git facts for a job's record. A CI job is
 * identified by its run and shard ("key"), so that a rerun of the same
 * CI job can be recognised: GitLab gives a new CI_JOB_ID to a retried
 * job of the same pipeline and name, GitHub counts GITHUB_RUN_ATTEMPT,
 * Buildkite BUILDKITE_RETRY_COUNT; CircleCI says nothing, and the
 * store's history decides.
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cienv.h"
#include "xmalloc.h"

static const char *
cienv_get(const char *name)
{
	const char *v = getenv(name);

	return (v != NULL && *v != '\0' ? v : NULL);
}

static void
cienv_set(json_t *o, const char *key, const char *name)
{
	const char *v;

	if ((v = cienv_get(name)) != NULL)
		json_object_set_new(o, key, json_string(v));
}

static void
cienv_set_int(json_t *o, const char *key, const char *name, int add)
{
	const char *v, *errstr;
	long long n;

	if ((v = cienv_get(name)) == NULL)
		return;
	n = strtonum(v, 0, INT_MAX - 1, &errstr);
	if (errstr == NULL)
		json_object_set_new(o, key, json_integer(n + add));
}

static const char *
cienv_str(json_t *o, const char *key)
{
	return (json_string_value(json_object_get(o, key)));
}

/* The CI job's identity: provider, run, job name and shard. */
static void
cienv_key(json_t *o)
{
	char *key;
	json_t *idx = json_object_get(o, "shard_index");

	if (cienv_str(o, "run") == NULL)
		return;
	xasprintf(&key, "%s/%s/%s/%s/%lld", cienv_str(o, "provider"),
	    cienv_str(o, "project") ? cienv_str(o, "project") : "",
	    cienv_str(o, "run"),
	    cienv_str(o, "job_name") ? cienv_str(o, "job_name") : "",
	    idx != NULL ? (long long)json_integer_value(idx) : 0LL);
	json_object_set_new(o, "key", json_string(key));
	free(key);
}

/*
 * Returns {"provider", "run", "job_name", "job_id", "shard_index",
 * "shard_total", "attempt", "url", "key", ...} or NULL outside CI.
 */
json_t *
cienv_detect(void)
{
	json_t *o = json_object();
	char *url;

	if (cienv_get("GITLAB_CI") != NULL ||
	    cienv_get("CI_PIPELINE_ID") != NULL) {
		json_object_set_new(o, "provider", json_string("gitlab"));
		cienv_set(o, "project", "CI_PROJECT_PATH");
		cienv_set(o, "run", "CI_PIPELINE_ID");
		cienv_set(o, "job_name", "CI_JOB_NAME");
		cienv_set(o, "job_id", "CI_JOB_ID");
		cienv_set(o, "url", "CI_JOB_URL");
		cienv_set(o, "run_url", "CI_PIPELINE_URL");
		cienv_set_int(o, "shard_index", "CI_NODE_INDEX", -1);
		cienv_set_int(o, "shard_total", "CI_NODE_TOTAL", 0);
	} else if (cienv_get("GITHUB_ACTIONS") != NULL) {
		json_object_set_new(o, "provider", json_string("github"));
		cienv_set(o, "project", "GITHUB_REPOSITORY");
		cienv_set(o, "run", "GITHUB_RUN_ID");
		cienv_set(o, "job_name", "GITHUB_JOB");
		cienv_set_int(o, "attempt", "GITHUB_RUN_ATTEMPT", 0);
		if (cienv_get("GITHUB_SERVER_URL") != NULL &&
		    cienv_get("GITHUB_REPOSITORY") != NULL &&
		    cienv_get("GITHUB_RUN_ID") != NULL) {
			xasprintf(&url, "%s/%s/actions/runs/%s",
			    cienv_get("GITHUB_SERVER_URL"),
			    cienv_get("GITHUB_REPOSITORY"),
			    cienv_get("GITHUB_RUN_ID"));
			json_object_set_new(o, "url", json_string(url));
			free(url);
		}
		cienv_set_int(o, "shard_index", "DAGZ_NODE_INDEX", 0);
		cienv_set_int(o, "shard_total", "DAGZ_NODE_TOTAL", 0);
	} else if (cienv_get("BUILDKITE") != NULL) {
		json_object_set_new(o, "provider", json_string("buildkite"));
		cienv_set(o, "project", "BUILDKITE_PIPELINE_SLUG");
		cienv_set(o, "run", "BUILDKITE_BUILD_ID");
		cienv_set(o, "job_name", "BUILDKITE_STEP_KEY");
		if (json_object_get(o, "job_name") == NULL)
			cienv_set(o, "job_name", "BUILDKITE_LABEL");
		cienv_set(o, "job_id", "BUILDKITE_JOB_ID");
		cienv_set(o, "url", "BUILDKITE_BUILD_URL");
		cienv_set_int(o, "attempt", "BUILDKITE_RETRY_COUNT", 1);
		cienv_set_int(o, "shard_index", "BUILDKITE_PARALLEL_JOB", 0);
		cienv_set_int(o, "shard_total", "BUILDKITE_PARALLEL_JOB_COUNT",
		    0);
	} else if (cienv_get("CIRCLECI") != NULL) {
		json_object_set_new(o, "provider", json_string("circleci"));
		cienv_set(o, "project", "CIRCLE_PROJECT_REPONAME");
		cienv_set(o, "run", "CIRCLE_WORKFLOW_ID");
		cienv_set(o, "job_name", "CIRCLE_JOB");
		cienv_set(o, "job_id", "CIRCLE_BUILD_NUM");
		cienv_set(o, "url", "CIRCLE_BUILD_URL");
		cienv_set_int(o, "shard_index", "CIRCLE_NODE_INDEX", 0);
		cienv_set_int(o, "shard_total", "CIRCLE_NODE_TOTAL", 0);
	} else if (cienv_get("DAGZ_RUN_KEY") != NULL) {
		json_object_set_new(o, "provider", json_string("dagz"));
		cienv_set(o, "run", "DAGZ_RUN_KEY");
		cienv_set_int(o, "shard_index", "DAGZ_NODE_INDEX", 0);
		cienv_set_int(o, "shard_total", "DAGZ_NODE_TOTAL", 0);
	} else {
		json_decref(o);
		return (NULL);
	}
	cienv_key(o);
	return (o);
}

/*
 * A number from the environment into *v, within min and max: 1, or 0
 * when unset, or -1 with the reason in err.
 */
static int
cienv_slot_num(const char *name, int min, int max, int *v, char *err,
    size_t len)
{
	const char *s, *errstr;

	if ((s = cienv_get(name)) == NULL)
		return (0);
	*v = (int)strtonum(s, min, max, &errstr);
	if (errstr != NULL) {
		snprintf(err, len, "%s: '%s' is %s (from %d to %d)", name, s,
		    errstr, min, max);
		return (-1);
	}
	return (1);
}

/* GitLab's job name without the " 2/4" its parallel: adds. */
static char *
cienv_gitlab_job(const char *name)
{
	char *s = xstrdup(name), *sp;
	size_t n;

	if ((sp = strrchr(s, ' ')) != NULL && sp[1] != '\0' &&
	    (n = strspn(sp + 1, "0123456789")) > 0 && sp[1 + n] == '/' &&
	    sp[2 + n] != '\0' && strspn(sp + 2 + n, "0123456789") ==
	    strlen(sp + 2 + n))
		*sp = '\0';
	return (s);
}

/*
 * Which slot of a parallel step this run is (see cienv.h): 1 and *sl
 * filled, 0 when it is no slot (outside CI, a step that is not
 * parallel, or a dagz run inside a test without DAGZ_RUN_KEY of its
 * own), -1 with the reason in err for numbers that make no sense.
 * DAGZ_NODE_INDEX (0-based), DAGZ_NODE_TOTAL and DAGZ_RUN_KEY override
 * what the CI says.
 */
int
cienv_slot(struct cienv_slot *sl, char *err, size_t len)
{
	const char *prov = NULL, *a, *b;
	char *job;
	int index = -1, total = -1, rc;

	memset(sl, 0, sizeof *sl);
	/* A run inside a test is a job of its own. */
	if (cienv_get("DAGZ_TEST_ID") != NULL &&
	    cienv_get("DAGZ_RUN_KEY") == NULL)
		return (0);
	if (cienv_get("GITLAB_CI") != NULL && cienv_get("CI_NODE_TOTAL")) {
		prov = "gitlab";
		if ((rc = cienv_slot_num("CI_NODE_INDEX", 1, 100000, &index,
		    err, len)) == -1)
			return (-1);
		if (rc == 1)
			index--;
		if (cienv_slot_num("CI_NODE_TOTAL", 1, 100000, &total, err,
		    len) == -1)
			return (-1);
		if ((a = cienv_get("CI_PIPELINE_ID")) != NULL &&
		    (b = cienv_get("CI_JOB_NAME")) != NULL) {
			job = cienv_gitlab_job(b);
			xasprintf(&sl->key, "gitlab/%s/%s", a, job);
			free(job);
		}
	} else if (cienv_get("BUILDKITE") != NULL &&
	    cienv_get("BUILDKITE_PARALLEL_JOB_COUNT") != NULL) {
		prov = "buildkite";
		if (cienv_slot_num("BUILDKITE_PARALLEL_JOB", 0, 99999, &index,
		    err, len) == -1 ||
		    cienv_slot_num("BUILDKITE_PARALLEL_JOB_COUNT", 1, 100000,
		    &total, err, len) == -1)
			return (-1);
		if ((a = cienv_get("BUILDKITE_BUILD_ID")) != NULL &&
		    (b = cienv_get("BUILDKITE_STEP_ID")) != NULL)
			xasprintf(&sl->key, "buildkite/%s/%s", a, b);
	} else if (cienv_get("CIRCLECI") != NULL &&
	    cienv_get("CIRCLE_NODE_TOTAL") != NULL) {
		prov = "circleci";
		if (cienv_slot_num("CIRCLE_NODE_INDEX", 0, 99999, &index, err,
		    len) == -1 ||
		    cienv_slot_num("CIRCLE_NODE_TOTAL", 1, 100000, &total, err,
		    len) == -1)
			return (-1);
		if ((a = cienv_get("CIRCLE_WORKFLOW_ID")) != NULL &&
		    (b = cienv_get("CIRCLE_JOB")) != NULL)
			xasprintf(&sl->key, "circleci/%s/%s", a, b);
	} else if (cienv_get("GITHUB_ACTIONS") != NULL) {
		/* A matrix has no index of its own: DAGZ_NODE_* give it. */
		prov = "github";
		if ((a = cienv_get("GITHUB_RUN_ID")) != NULL &&
		    (b = cienv_get("GITHUB_JOB")) != NULL) {
			xasprintf(&sl->key, "github/%s/%s/%s", a,
			    cienv_get("GITHUB_RUN_ATTEMPT") != NULL ?
			    cienv_get("GITHUB_RUN_ATTEMPT") : "1", b);
			xasprintf(&sl->job_key, "github/%s/%s", a, b);
		}
	} else if (cienv_get("JOB_COMPLETION_INDEX") != NULL) {
		/* A Kubernetes indexed Job: its size and key are given. */
		prov = "kubernetes";
		if (cienv_slot_num("JOB_COMPLETION_INDEX", 0, 99999, &index,
		    err, len) == -1)
			return (-1);
	}
	/* What is given explicitly wins. */
	if ((rc = cienv_slot_num("DAGZ_NODE_INDEX", 0, 99999, &index, err,
	    len)) == -1 ||
	    cienv_slot_num("DAGZ_NODE_TOTAL", 1, 100000, &total, err,
	    len) == -1) {
		cienv_slot_clear(sl);
		return (-1);
	}
	if ((a = cienv_get("DAGZ_RUN_KEY")) != NULL) {
		free(sl->key);
		free(sl->job_key);
		sl->job_key = NULL;
		xasprintf(&sl->key, "dagz/%s", a);
		if (prov == NULL)
			prov = "dagz";
	}
	if (sl->key == NULL || total < 1) {
		cienv_slot_clear(sl);
		return (0);
	}
	if (index < 0)
		index = 0;
	if (index >= total) {
		snprintf(err, len, "node index %d is not below the node "
		    "total %d", index, total);
		cienv_slot_clear(sl);
		return (-1);
	}
	if (sl->job_key == NULL)
		sl->job_key = xstrdup(sl->key);
	sl->index = index;
	sl->total = total;
	sl->provider = xstrdup(prov);
	return (1);
}

void
cienv_slot_clear(struct cienv_slot *sl)
{
	free(sl->key);
	free(sl->job_key);
	free(sl->provider);
	memset(sl, 0, sizeof *sl);
}

/* Reads the first line of a file under the git directory. */
static char *
cienv_git_line(const char *gitdir, const char *name)
{
	char path[PATH_MAX], line[1024];
	FILE *f;

	if (snprintf(path, sizeof path, "%s/%s", gitdir, name) >=
	    (int)sizeof path || (f = fopen(path, "re")) == NULL)
		return (NULL);
	if (fgets(line, sizeof line, f) == NULL) {
		fclose(f);
		return (NULL);
	}
	fclose(f);
	line[strcspn(line, "\r\n")] = '\0';
	return (xstrdup(line));
}

/* Finds the commit of a ref, loose or packed. */
static char *
cienv_git_ref(const char *gitdir, const char *common, const char *ref)
{
	char path[PATH_MAX], line[1024], *sha;
	FILE *f;
	size_t n = strlen(ref);

	if ((sha = cienv_git_line(gitdir, ref)) != NULL ||
	    (sha = cienv_git_line(common, ref)) != NULL)
		return (sha);
	if (snprintf(path, sizeof path, "%s/packed-refs", common) >=
	    (int)sizeof path || (f = fopen(path, "re")) == NULL)
		return (NULL);
	while (fgets(line, sizeof line, f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (strlen(line) > 41 && line[40] == ' ' &&
		    strncmp(line + 41, ref, n) == 0 && line[41 + n] == '\0') {
			line[40] = '\0';
			sha = xstrdup(line);
			break;
		}
	}
	fclose(f);
	return (sha);
}

/* The url of remote "origin" in a git config file. */
static char *
cienv_git_origin(const char *common)
{
	char path[PATH_MAX], line[2048], *p, *url = NULL;
	FILE *f;
	int in = 0;

	if (snprintf(path, sizeof path, "%s/config", common) >=
	    (int)sizeof path || (f = fopen(path, "re")) == NULL)
		return (NULL);
	while (url == NULL && fgets(line, sizeof line, f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		for (p = line; isspace((unsigned char)*p); p++)
			;
		if (*p == '[') {
			in = strcmp(p, "[remote \"origin\"]") == 0;
			continue;
		}
		if (!in || strncmp(p, "url", 3) != 0)
			continue;
		for (p += 3; isspace((unsigned char)*p); p++)
			;
		if (*p++ != '=')
			continue;
		while (isspace((unsigned char)*p))
			p++;
		url = xstrdup(p);
	}
	fclose(f);
	return (url);
}

/*
 * The git checkout holding dir: {"top", "origin", "branch", "commit",
 * "path" (dir relative to the top)}, or NULL outside one.
 */
json_t *
cienv_git(const char *dir)
{
	char top[PATH_MAX], gitdir[PATH_MAX], common[PATH_MAX], *p, *line;
	char real[PATH_MAX], *head, *sha = NULL, *origin;
	json_t *o;
	size_t n;

	if (realpath(dir, top) == NULL)
		return (NULL);
	for (;;) {
		if (snprintf(gitdir, sizeof gitdir, "%s/.git", top) >=
		    (int)sizeof gitdir)
			return (NULL);
		if (access(gitdir, F_OK) == 0)
			break;
		if ((p = strrchr(top, '/')) == NULL || p == top)
			return (NULL);
		*p = '\0';
	}
	/* A worktree or submodule: .git is a file naming the real one. */
	if ((line = cienv_git_line(top, ".git")) != NULL &&
	    strncmp(line, "gitdir: ", 8) == 0) {
		if (line[8] == '/')
			strlcpy(gitdir, line + 8, sizeof gitdir);
		else if (snprintf(gitdir, sizeof gitdir, "%s/%s", top,
		    line + 8) >= (int)sizeof gitdir)
			gitdir[0] = '\0';
	}
	free(line);
	strlcpy(common, gitdir, sizeof common);
	if ((line = cienv_git_line(gitdir, "commondir")) != NULL) {
		if (line[0] == '/')
			strlcpy(common, line, sizeof common);
		else if (snprintf(common, sizeof common, "%s/%s", gitdir,
		    line) >= (int)sizeof common)
			common[0] = '\0';
		free(line);
	}
	o = json_object();
	json_object_set_new(o, "top", json_string(top));
	n = strlen(top);
	if (realpath(dir, real) != NULL && strncmp(real, top, n) == 0)
		json_object_set_new(o, "path", json_string(real[n] == '/' ?
		    real + n + 1 : real + n));
	if ((head = cienv_git_line(gitdir, "HEAD")) != NULL) {
		if (strncmp(head, "ref: ", 5) == 0) {
			if (strncmp(head + 5, "refs/heads/", 11) == 0)
				json_object_set_new(o, "branch",
				    json_string(head + 16));
			sha = cienv_git_ref(gitdir, common, head + 5);
		} else
			sha = xstrdup(head);
		free(head);
	}
	if (sha != NULL)
		json_object_set_new(o, "commit", json_string(sha));
	free(sha);
	if ((origin = cienv_git_origin(common)) != NULL)
		json_object_set_new(o, "origin", json_string(origin));
	free(origin);
	/* What "git symbolic-ref refs/remotes/origin/HEAD" names. */
	if ((head = cienv_git_line(common, "refs/remotes/origin/HEAD")) !=
	    NULL && strncmp(head, "ref: refs/remotes/origin/", 25) == 0 &&
	    head[25] != '\0')
		json_object_set_new(o, "remote_head", json_string(head + 25));
	free(head);
	return (o);
}

/*
 * The project a run in dir belongs to, as the store names it:
 * DAGZ_PROJECT, else configured (the config's project:), else the git
 * origin (cienv_project), else the checkout's top and dir's path in it,
 * else dir itself. A new string.
 */
char *
cienv_project_name(const char *dir, const char *configured)
{
	const char *v, *top, *path;
	char *project;
	json_t *git;

	if ((v = getenv("DAGZ_PROJECT")) != NULL && *v != '\0')
		return (xstrdup(v));
	if (configured != NULL)
		return (xstrdup(configured));
	git = cienv_git(dir);
	if ((project = cienv_project(git)) == NULL) {
		if ((top = json_string_value(json_object_get(git, "top"))) !=
		    NULL) {
			path = json_string_value(json_object_get(git, "path"));
			xasprintf(&project, "%s%s%s", top, path != NULL &&
			    *path != '\0' ? "/" : "", path != NULL ? path : "");
		} else
			project = xstrdup(dir);
	}
	json_decref(git);
	return (project);
}

/* Is p a URL scheme ("ssh", "git+ssh") followed by sep? Its length. */
static size_t
cienv_scheme(const char *p, const char *sep)
{
	size_t n = 0;

	if (!isalpha((unsigned char)p[0]))
		return (0);
	while (isalnum((unsigned char)p[n]) || p[n] == '+' || p[n] == '-' ||
	    p[n] == '.')
		n++;
	return (strncmp(p + n, sep, strlen(sep)) == 0 ? n : 0);
}

/*
 * Tidies a repository path in place: no doubled or trailing slashes, no
 * ".git" suffix (nor "/.git", a work tree's), and without leading
 * slashes unless keep_root (a local path).
 */
static void
cienv_tidy_path(char *path, int keep_root)
{
	char *r, *w;
	size_t n;

	for (r = w = path; *r != '\0'; r++)
		if (*r != '/' || w == path || w[-1] != '/')
			*w++ = *r;
	*w = '\0';
	if (!keep_root && *path == '/')
		memmove(path, path + 1, strlen(path));
	n = strlen(path);
	while (n > 1 && path[n - 1] == '/')
		path[--n] = '\0';
	if (n >= 4 && strcmp(path + n - 4, ".git") == 0) {
		path[n -= 4] = '\0';
		while (n > 1 && path[n - 1] == '/')
			path[--n] = '\0';
	}
	if (!keep_root && strcmp(path, "/") == 0)
		*path = '\0';
}

/*
 * A git remote URL as a project's identity, so that every transport to
 * one repository names it alike: "git@Host:group/app.git",
 * "ssh://git@host:2222/group/app/" and "https://user:pw@host/group/app"
 * all give "host/group/app" (host in lower case; no scheme, user,
 * password, port, query, ".git" or trailing slash). A local path or
 * file:// URL gives the path, tidied alike. NULL when url names nothing.
 */
char *
cienv_project_url(const char *url)
{
	char *buf, *p, *auth, *path, *host, *at, *out = NULL;
	size_t n;
	int inbr = 0;

	while (isspace((unsigned char)*url))
		url++;
	buf = xstrdup(url);
	n = strlen(buf);
	while (n > 0 && isspace((unsigned char)buf[n - 1]))
		buf[--n] = '\0';
	p = buf;
	/* A remote helper's "transport::address". */
	if ((n = cienv_scheme(p, "::")) > 0)
		p += n + 2;
	if ((n = cienv_scheme(p, "://")) > 0) {
		if (n == 4 && strncasecmp(p, "file", 4) == 0) {
			p += 7;
			/* file://host/path: the host is this machine. */
			if (*p != '/' && (p = strchr(p, '/')) == NULL)
				goto out;
			goto local;
		}
		auth = p + n + 3;
		auth[strcspn(auth, "?#")] = '\0';
		if ((path = strchr(auth, '/')) != NULL)
			*path++ = '\0';
		else
			path = auth + strlen(auth);
	} else {
		/* scp-like: [user@]host:path, no slash before the colon. */
		for (auth = p; *p != '\0' && *p != '/'; p++) {
			if (*p == '[')
				inbr = 1;
			else if (*p == ']')
				inbr = 0;
			else if (*p == ':' && !inbr)
				break;
		}
		if (*p != ':' || p == auth) {
			p = auth;
			goto local;
		}
		*p = '\0';
		path = p + 1;
	}
	if ((at = strrchr(auth, '@')) != NULL)
		auth = at + 1;
	host = auth;
	if (*host == '[')
		host[strcspn(host, "]") + (strchr(host, ']') != NULL)] = '\0';
	else
		host[strcspn(host, ":")] = '\0';
	if (*host == '\0')
		goto out;
	for (p = host; *p != '\0'; p++)
		*p = tolower((unsigned char)*p);
	cienv_tidy_path(path, 0);
	xasprintf(&out, "%s%s%s", host, *path != '\0' ? "/" : "", path);
	goto out;
local:
	cienv_tidy_path(p, 1);
	if (*p != '\0')
		out = xstrdup(p);
out:
	free(buf);
	return (out);
}

/*
 * The project of a git checkout (as cienv_git gives it): its origin as
 * cienv_project_url makes it, then "#" and the path inside the work tree
 * when that is not the top. NULL without an origin.
 */
char *
cienv_project(json_t *git)
{
	const char *origin, *path;
	char *url, *project;

	origin = json_string_value(json_object_get(git, "origin"));
	if (origin == NULL || (url = cienv_project_url(origin)) == NULL)
		return (NULL);
	path = json_string_value(json_object_get(git, "path"));
	if (path == NULL || *path == '\0')
		return (url);
	xasprintf(&project, "%s#%s", url, path);
	free(url);
	return (project);
}
