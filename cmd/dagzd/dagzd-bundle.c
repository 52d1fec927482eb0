/*
 * dagzd-bundle.c: GET /api/v1/spans/S/bundle, the agent-context bundle
 * of one test attempt for the dashboard's download: the same tar.gz as
 * zb span-logs writes, made by libcommon's bundle.c from the same
 * context as GET /api/v1/spans/S/context.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <event2/buffer.h>
#include <microhttpd.h>

#include "bundle.h"
#include "dagzd.h"
#include "log.h"
#include "xmalloc.h"

#define BUNDLE_NAME_TEST_MAX	80	/* bytes of the test's id in the name */

static la_ssize_t
bundle_out(struct archive *a, void *arg, const void *buf, size_t len)
{
	evbuffer_add(arg, buf, len);
	return ((la_ssize_t)len);
}

/*
 * The name to save the bundle as, "dagz-TEST-SPAN.tar.gz": characters
 * other than letters, digits, '.', '_' and '-' become '_', so that no
 * browser is handed a path, a quote or a control character.
 */
static char *
bundle_filename(json_t *ctx)
{
	const char *test, *span;
	char *name, *c;

	test = json_string_value(json_object_get(json_object_get(ctx, "test"),
	    "id"));
	span = json_string_value(json_object_get(json_object_get(ctx, "span"),
	    "span"));
	xasprintf(&name, "dagz-%.*s-%s.tar.gz", BUNDLE_NAME_TEST_MAX,
	    test != NULL ? test : "test", span != NULL ? span : "span");
	for (c = name; *c != '\0'; c++)
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789._-", *c) == NULL)
			*c = '_';
	return (name);
}

/* GET /api/v1/spans/S/bundle: application/gzip, as an attachment. */
void
route_span_bundle(struct dagzd *d, struct http_req *req,
    struct route_args *a)
{
	struct MHD_Response *r;
	struct archive *ar;
	struct evbuffer *b;
	json_t *ctx;
	char *dir, *name, *disp, *data, err[1024];
	const char *why;
	size_t len;
	int parentless;

	if ((ctx = query_span_context(d, a->seg[0], &parentless)) == NULL) {
		http_error(req, 404, parentless ? "span '%s' has no parent" :
		    "unknown span '%s'", a->seg[0]);
		return;
	}
	if ((dir = bundle_dir(ctx)) == NULL || (why = bundle_bad_name(dir)) !=
	    NULL || strchr(dir, '/') != NULL) {
		free(dir);
		json_decref(ctx);
		http_error(req, 500, "span '%s': no bundle can be named for "
		    "it", a->seg[0]);
		return;
	}
	b = evbuffer_new();
	if ((ar = archive_write_new()) == NULL ||
	    archive_write_add_filter_gzip(ar) != ARCHIVE_OK ||
	    archive_write_set_format_pax_restricted(ar) != ARCHIVE_OK ||
	    archive_write_open(ar, b, NULL, bundle_out, NULL) != ARCHIVE_OK ||
	    bundle_write(ar, ctx, dir, err, sizeof err) == -1 ||
	    archive_write_close(ar) != ARCHIVE_OK) {
		log_warnx("span %s: cannot build its bundle: %s", a->seg[0],
		    ar != NULL && archive_error_string(ar) != NULL ?
		    archive_error_string(ar) : "out of memory");
		archive_write_free(ar);
		evbuffer_free(b);
		free(dir);
		json_decref(ctx);
		http_error(req, 500, "cannot build the bundle");
		return;
	}
	archive_write_free(ar);
	name = bundle_filename(ctx);
	free(dir);
	json_decref(ctx);

	len = evbuffer_get_length(b);
	data = xmalloc(len + 1);
	evbuffer_remove(b, data, len);
	evbuffer_free(b);
	req->replied = 1;
	req->status = 200;
	if ((r = MHD_create_response_from_buffer(len, data,
	    MHD_RESPMEM_MUST_FREE)) == NULL) {
		free(data);
		free(name);
		return;
	}
	xasprintf(&disp, "attachment; filename=\"%s\"", name);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	    "application/gzip");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_DISPOSITION, disp);
	if (req->conn != NULL && MHD_queue_response(req->conn, 200, r) ==
	    MHD_NO)
		log_debug("http: cannot queue a bundle");
	MHD_destroy_response(r);
	free(disp);
	free(name);
}
