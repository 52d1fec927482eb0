/*
 * zb-span-logs.c: "zb span-logs SPAN -o FILE": everything needed to look
 * into one test attempt away from dagz, as a tar.gz written by
 * libcommon's bundle.c from the span's context that dagzd gives.
 */
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>

#include "bundle.h"
#include "exitcodes.h"
#include "store.h"
#include "xmalloc.h"
#include "zb.h"

/* Refuses a name of dagzd's making that bundle_bad_name refuses. */
static void
bundle_check_name(const char *path, int component)
{
	const char *why;
	char *shown, *c;

	if ((why = bundle_bad_name(path)) == NULL && component &&
	    strchr(path, '/') != NULL)
		why = "has a '/'";
	if (why == NULL)
		return;
	/* Shown on one line, without what a terminal would act on. */
	shown = xstrdup(path);
	for (c = shown; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	errx(DAGZ_EXIT_ERROR, "dagzd at %s: invalid reply: bundle entry "
	    "'%s' %s", zb_url, shown, why);
}

int
zb_span_logs(int argc, char **argv)
{
	struct archive *a;
	json_t *ctx;
	const char *out = NULL, *sid, *jid;
	char *id, *dir, *file = NULL, err[1024];
	int ch;

	opterr = 0;
	while ((ch = getopt(argc, argv, "o:")) != -1) {
		if (ch != 'o')
			zb_usage("span-logs");
		out = optarg;
	}
	if (argc - optind != 1)
		zb_usage("span-logs");
	id = zb_escape(argv[optind]);
	ctx = zb_get(STORE_API "/spans/%s/context", id);
	free(id);
	sid = json_string_value(json_object_get(json_object_get(ctx, "span"),
	    "span"));
	jid = json_string_value(json_object_get(json_object_get(ctx, "job"),
	    "id"));
	if (sid == NULL || jid == NULL)
		errx(DAGZ_EXIT_ERROR, "dagzd at %s: invalid reply: no %s ID",
		    zb_url, sid == NULL ? "span" : "job");
	if (out == NULL) {
		xasprintf(&file, "dagz-%s.tar.gz", sid);
		bundle_check_name(file, 1);
		out = file;
	}
	/* Every file of the bundle is "DIR/NAME", NAME one of ours. */
	dir = bundle_dir(ctx);
	bundle_check_name(dir, 0);

	if ((a = archive_write_new()) == NULL ||
	    archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
	    archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_open_filename(a, out) != ARCHIVE_OK)
		errx(DAGZ_EXIT_ERROR, "cannot write '%s': %s", out,
		    a != NULL ? archive_error_string(a) : "out of memory");
	if (bundle_write(a, ctx, dir, err, sizeof err) == -1)
		errx(DAGZ_EXIT_ERROR, "%s", err);
	if (archive_write_close(a) != ARCHIVE_OK)
		errx(DAGZ_EXIT_ERROR, "cannot write '%s': %s", out,
		    archive_error_string(a));
	archive_write_free(a);
	printf("%s\n", out);
	free(dir);
	free(file);
	json_decref(ctx);
	return (DAGZ_EXIT_OK);
}
