/*
 * unit-cienv.c: unit tests in TAP of the project's identity made from a
 * git remote URL (every transport to one repository names one project),
 * and of the slot of a parallel CI step a run is, for each CI.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cienv.h"

#include "unit.h"

/* cienv_project_url(url) is want (NULL: names nothing). */
static void
url_is(const char *url, const char *want)
{
	char *got = cienv_project_url(url);

	is_str(got != NULL ? got : "(null)", want != NULL ? want : "(null)",
	    "'%s'", url);
	free(got);
}

static void
test_project_url(void)
{
	/* One repository over every transport. */
	url_is("git@host:group/app.git", "host/group/app");
	url_is("ssh://git@host/group/app", "host/group/app");
	url_is("https://host/group/app.git", "host/group/app");
	url_is("http://host/group/app", "host/group/app");
	url_is("git://host/group/app.git", "host/group/app");
	url_is("git+ssh://git@host/group/app.git", "host/group/app");
	url_is("ssh+git://host/group/app", "host/group/app");
	/* Credentials, ports, upper case, slashes, queries. */
	url_is("https://user:s3cr:et@host/group/app.git", "host/group/app");
	url_is("https://oauth2:glpat-x@gitlab.example.com/g/sub/app.git",
	    "gitlab.example.com/g/sub/app");
	url_is("ssh://git@host:2222/group/app.git", "host/group/app");
	url_is("https://host:8443/group/app", "host/group/app");
	url_is("HTTPS://Git.Example.ORG/Group/App.git",
	    "git.example.org/Group/App");
	url_is("git@GitHub.com:Owner/Repo.git", "github.com/Owner/Repo");
	url_is("https://host/group/app/", "host/group/app");
	url_is("https://host/group/app.git/", "host/group/app");
	url_is("https://host//group///app//", "host/group/app");
	url_is("git@host:/srv/git/app.git", "host/srv/git/app");
	url_is("host:group/app", "host/group/app");
	url_is("https://host/group/app.git?ref=x#frag", "host/group/app");
	url_is("  https://host/group/app.git  ", "host/group/app");
	url_is("ssh://git@[2001:db8::1]:22/group/app.git",
	    "[2001:db8::1]/group/app");
	url_is("git@[::1]:group/app", "[::1]/group/app");
	url_is("persistent-https::https://host/group/app", "host/group/app");
	/* Local repositories: the path, tidied alike. */
	url_is("/srv/git/app.git", "/srv/git/app");
	url_is("/srv/git/app/", "/srv/git/app");
	url_is("/srv/git/app/.git", "/srv/git/app");
	url_is("file:///srv/git/app.git", "/srv/git/app");
	url_is("file://localhost/srv/git/app", "/srv/git/app");
	url_is("../app.git", "../app");
	url_is("./dir:x/app", "./dir:x/app");
	/* Odd input. */
	url_is("", NULL);
	url_is("   ", NULL);
	url_is("https://", NULL);
	url_is("https://user@:22/x", NULL);
	url_is(":path", ":path");
	url_is("https://host", "host");
	url_is("https://HOST/", "host");
	url_is("git@host:", "host");
	url_is("https://host/.git", "host");
	url_is("file://", NULL);
	url_is("/", "/");
}

static void
test_project(void)
{
	json_t *git;
	char *p;

	git = json_pack("{s:s, s:s}", "origin", "git@Host:g/app.git", "path",
	    "sub/tests");
	p = cienv_project(git);
	is_str(p, "host/g/app#sub/tests", "the path inside the work tree "
	    "after '#'");
	free(p);
	json_object_set_new(git, "path", json_string(""));
	p = cienv_project(git);
	is_str(p, "host/g/app", "at the top: the origin alone");
	free(p);
	json_object_del(git, "origin");
	ok(cienv_project(git) == NULL, "no origin: no project");
	json_object_set_new(git, "origin", json_string("https://"));
	ok(cienv_project(git) == NULL, "an origin naming nothing: no project");
	json_decref(git);
}

static const char *const slot_vars[] = {
	"GITLAB_CI", "CI_NODE_INDEX", "CI_NODE_TOTAL", "CI_PIPELINE_ID",
	"CI_JOB_NAME", "BUILDKITE", "BUILDKITE_PARALLEL_JOB",
	"BUILDKITE_PARALLEL_JOB_COUNT", "BUILDKITE_BUILD_ID",
	"BUILDKITE_STEP_ID", "CIRCLECI", "CIRCLE_NODE_INDEX",
	"CIRCLE_NODE_TOTAL", "CIRCLE_WORKFLOW_ID", "CIRCLE_JOB",
	"GITHUB_ACTIONS", "GITHUB_RUN_ID", "GITHUB_RUN_ATTEMPT", "GITHUB_JOB",
	"JOB_COMPLETION_INDEX", "DAGZ_NODE_INDEX", "DAGZ_NODE_TOTAL",
	"DAGZ_RUN_KEY", "DAGZ_TEST_ID", NULL
};

/*
 * With only the NAME=VALUE pairs of env set, cienv_slot gives want:
 * "INDEX/TOTAL KEY (PROVIDER)", "none", or "error: REASON".
 */
static void
slot_is(const char *const *env, const char *want, const char *what)
{
	struct cienv_slot sl;
	char err[256], got[512], *eq, *v;
	size_t i;
	int rc;

	for (i = 0; slot_vars[i] != NULL; i++)
		unsetenv(slot_vars[i]);
	for (i = 0; env[i] != NULL; i++) {
		v = strdup(env[i]);
		eq = strchr(v, '=');
		*eq = '\0';
		setenv(v, eq + 1, 1);
		free(v);
	}
	err[0] = '\0';
	rc = cienv_slot(&sl, err, sizeof err);
	if (rc == 1 && strcmp(sl.key, sl.job_key) != 0)
		snprintf(got, sizeof got, "%d/%d %s (%s) job %s", sl.index,
		    sl.total, sl.key, sl.provider, sl.job_key);
	else if (rc == 1)
		snprintf(got, sizeof got, "%d/%d %s (%s)", sl.index, sl.total,
		    sl.key, sl.provider);
	else if (rc == 0)
		snprintf(got, sizeof got, "none");
	else
		snprintf(got, sizeof got, "error: %s", err);
	is_str(got, want, "slot: %s", what);
	cienv_slot_clear(&sl);
}

static void
test_slot(void)
{
	const char *none[] = { NULL };
	const char *gitlab[] = { "GITLAB_CI=true", "CI_NODE_INDEX=2",
	    "CI_NODE_TOTAL=4", "CI_PIPELINE_ID=77", "CI_JOB_NAME=test 2/4",
	    NULL };
	const char *gitlab_first[] = { "GITLAB_CI=true", "CI_NODE_INDEX=1",
	    "CI_NODE_TOTAL=4", "CI_PIPELINE_ID=77", "CI_JOB_NAME=test 1/4",
	    NULL };
	const char *gitlab_one[] = { "GITLAB_CI=true", "CI_PIPELINE_ID=77",
	    "CI_JOB_NAME=test", NULL };
	const char *gitlab_bad[] = { "GITLAB_CI=true", "CI_NODE_INDEX=0",
	    "CI_NODE_TOTAL=4", "CI_PIPELINE_ID=77", "CI_JOB_NAME=test 1/4",
	    NULL };
	const char *buildkite[] = { "BUILDKITE=true",
	    "BUILDKITE_PARALLEL_JOB=0", "BUILDKITE_PARALLEL_JOB_COUNT=3",
	    "BUILDKITE_BUILD_ID=b-1", "BUILDKITE_STEP_ID=s-9", NULL };
	const char *circle[] = { "CIRCLECI=true", "CIRCLE_NODE_INDEX=1",
	    "CIRCLE_NODE_TOTAL=2", "CIRCLE_WORKFLOW_ID=w-5",
	    "CIRCLE_JOB=tests", NULL };
	const char *github[] = { "GITHUB_ACTIONS=true", "GITHUB_RUN_ID=900",
	    "GITHUB_RUN_ATTEMPT=2", "GITHUB_JOB=test", "DAGZ_NODE_INDEX=1",
	    "DAGZ_NODE_TOTAL=3", NULL };
	const char *github_alone[] = { "GITHUB_ACTIONS=true",
	    "GITHUB_RUN_ID=900", "GITHUB_JOB=test", NULL };
	const char *k8s[] = { "JOB_COMPLETION_INDEX=4", "DAGZ_NODE_TOTAL=8",
	    "DAGZ_RUN_KEY=nightly-31", NULL };
	const char *k8s_nokey[] = { "JOB_COMPLETION_INDEX=4",
	    "DAGZ_NODE_TOTAL=8", NULL };
	const char *explicit[] = { "GITLAB_CI=true", "CI_NODE_INDEX=2",
	    "CI_NODE_TOTAL=4", "CI_PIPELINE_ID=77", "CI_JOB_NAME=test 2/4",
	    "DAGZ_NODE_INDEX=0", "DAGZ_NODE_TOTAL=2", "DAGZ_RUN_KEY=mine",
	    NULL };
	const char *nested[] = { "GITLAB_CI=true", "CI_NODE_INDEX=2",
	    "CI_NODE_TOTAL=4", "CI_PIPELINE_ID=77", "CI_JOB_NAME=test 2/4",
	    "DAGZ_TEST_ID=t/a.sh", NULL };
	const char *nested_key[] = { "DAGZ_TEST_ID=t/a.sh",
	    "DAGZ_RUN_KEY=inner", "DAGZ_NODE_TOTAL=2", NULL };
	const char *past[] = { "DAGZ_RUN_KEY=k", "DAGZ_NODE_INDEX=3",
	    "DAGZ_NODE_TOTAL=3", NULL };
	const char *garbage[] = { "DAGZ_RUN_KEY=k", "DAGZ_NODE_INDEX=x",
	    "DAGZ_NODE_TOTAL=3", NULL };

	slot_is(none, "none", "outside CI");
	slot_is(gitlab, "1/4 gitlab/77/test (gitlab)",
	    "GitLab: 1-based index, the name without \" 2/4\"");
	slot_is(gitlab_first, "0/4 gitlab/77/test (gitlab)",
	    "GitLab: every slot has the same key");
	slot_is(gitlab_one, "none", "GitLab: not parallel");
	slot_is(gitlab_bad, "error: CI_NODE_INDEX: '0' is too small "
	    "(from 1 to 100000)", "GitLab: index 0 is no slot");
	slot_is(buildkite, "0/3 buildkite/b-1/s-9 (buildkite)",
	    "Buildkite: 0-based, build and step");
	slot_is(circle, "1/2 circleci/w-5/tests (circleci)",
	    "CircleCI: workflow and job");
	slot_is(github, "1/3 github/900/2/test (github) job github/900/test",
	    "GitHub: DAGZ_NODE_*, run, attempt and job; the job's key is "
	    "the same for every attempt");
	slot_is(github_alone, "none", "GitHub: no matrix slot given");
	slot_is(k8s, "4/8 dagz/nightly-31 (kubernetes)",
	    "Kubernetes: JOB_COMPLETION_INDEX, total and key given");
	slot_is(k8s_nokey, "none", "Kubernetes: no key, no slot");
	slot_is(explicit, "0/2 dagz/mine (gitlab)",
	    "DAGZ_NODE_* and DAGZ_RUN_KEY override the CI's");
	slot_is(nested, "none", "a run inside a test is a job of its own");
	slot_is(nested_key, "0/2 dagz/inner (dagz)",
	    "unless DAGZ_RUN_KEY is set for it");
	slot_is(past, "error: node index 3 is not below the node total 3",
	    "an index past the total");
	slot_is(garbage, "error: DAGZ_NODE_INDEX: 'x' is invalid "
	    "(from 0 to 99999)", "an index that is no number");
}

int
main(void)
{
	test_project_url();
	test_project();
	test_slot();
	return (tap_done());
}
