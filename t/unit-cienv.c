/*
 * unit-cienv.c: unit tests in TAP of the project's identity made from a
 * git remote URL: every transport to one repository names one project.
 */
#include <stdio.h>
#include <stdlib.h>

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

int
main(void)
{
	test_project_url();
	test_project();
	return (tap_done());
}
