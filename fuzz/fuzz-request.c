/*
 * fuzz-request.c: dagzd's answer to any request that got past its
 * headers: "METHOD PATH[?QUERY]" on the first line of the input, the
 * body after it, handed to the routes over a store of its own. A reply
 * must be made (a status from 200 to 599), whatever the bytes; dagzd
 * must never exit.
 */
#include <err.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "dagzd.h"
#include "fuzz.h"
#include "xmalloc.h"

static struct dagzd d;

static void
fuzz_request_open(void)
{
	char dir[] = "/tmp/fuzz-request.XXXXXX";

	if (mkdtemp(dir) == NULL)
		err(1, "mkdtemp");
	d.home = xstrdup(dir);
	d.max_request = DAGZD_MAX_REQUEST;
	if ((d.base = event_base_new()) == NULL)
		errx(1, "event_base_new");
	if (db_open(&d) == -1)
		errx(1, "cannot open the store in '%s'", dir);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_req req;
	const char *nl, *sp;
	char *line, *q;

	if (d.home == NULL)
		fuzz_request_open();
	if ((nl = memchr(data, '\n', size)) == NULL)
		nl = (const char *)data + size;
	line = xmalloc(nl - (const char *)data + 1);
	memcpy(line, data, nl - (const char *)data);
	line[nl - (const char *)data] = '\0';
	memset(&req, 0, sizeof req);
	req.d = &d;
	if ((sp = strchr(line, ' ')) == NULL || strlen(line) != (size_t)
	    (nl - (const char *)data)) {
		free(line);
		return (0);
	}
	line[sp - line] = '\0';
	req.method = line;
	req.path = xstrdup(sp + 1);
	if ((q = strchr(req.path, '?')) != NULL) {
		*q++ = '\0';
		req.query = q;
	}
	if (nl < (const char *)data + size) {
		req.len = (const char *)data + size - (nl + 1);
		req.body = xmalloc(req.len + 1);
		memcpy(req.body, nl + 1, req.len);
	}
	http_handle(&d, &req);
	if (req.status < 200 || req.status > 599)
		abort();
	free(req.body);
	free(req.path);
	free(line);
	return (0);
}
