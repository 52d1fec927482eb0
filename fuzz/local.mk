# fuzz/local.mk: libFuzzer targets over the readers of untrusted input,
# built by ./configure --enable-fuzz (clang) in a build tree of their own;
# scripts/fuzz runs them, scripts/check runs each a few seconds.
FUZZ_FILES = %D%/fuzz-manifest.c %D%/fuzz-proto.c %D%/fuzz-baseline.c \
	%D%/fuzz-baseline-raw.c %D%/fuzz-config.c %D%/fuzz-tap.c %D%/fuzz-junit.c %D%/fuzz-request.c
dist_noinst_SCRIPTS += scripts/fuzz
EXTRA_DIST += %D%/fuzz.h %D%/fuzz-common.c $(FUZZ_FILES) %D%/corpus
if DAGZ_FUZZ
FUZZ_TARGETS = %D%/fuzz-manifest %D%/fuzz-proto %D%/fuzz-baseline \
	%D%/fuzz-baseline-raw %D%/fuzz-config %D%/fuzz-tap %D%/fuzz-junit %D%/fuzz-request
noinst_PROGRAMS += $(FUZZ_TARGETS)
FUZZ_SHARED = %D%/fuzz.h %D%/fuzz-common.c
FUZZ_LINK_FLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
%C%_fuzz_manifest_SOURCES = %D%/fuzz-manifest.c $(FUZZ_SHARED)
%C%_fuzz_manifest_LDFLAGS = $(FUZZ_LINK_FLAGS)
%C%_fuzz_manifest_LDADD = $(COMMON_LIBS)
%C%_fuzz_proto_SOURCES = %D%/fuzz-proto.c $(FUZZ_SHARED)
%C%_fuzz_proto_LDFLAGS = $(FUZZ_LINK_FLAGS)
%C%_fuzz_proto_LDADD = $(COMMON_LIBS)
%C%_fuzz_baseline_SOURCES = %D%/fuzz-baseline.c $(FUZZ_SHARED)
%C%_fuzz_baseline_LDFLAGS = $(FUZZ_LINK_FLAGS)
%C%_fuzz_baseline_LDADD = $(COMMON_LIBS) $(ZLIB_LIBS)
%C%_fuzz_baseline_raw_SOURCES = %D%/fuzz-baseline-raw.c $(FUZZ_SHARED)
%C%_fuzz_baseline_raw_LDFLAGS = $(FUZZ_LINK_FLAGS)
%C%_fuzz_baseline_raw_LDADD = $(COMMON_LIBS) $(ZLIB_LIBS)
%C%_fuzz_config_SOURCES = %D%/fuzz-config.c $(FUZZ_SHARED)
%C%_fuzz_config_LDFLAGS = $(FUZZ_LINK_FLAGS)
%C%_fuzz_config_LDADD = $(COMMON_LIBS)
%C%_fuzz_tap_SOURCES = %D%/fuzz-tap.c $(FUZZ_SHARED)
%C%_fuzz_tap_LDFLAGS = $(FUZZ_LINK_FLAGS)
%C%_fuzz_tap_LDADD = $(COMMON_LIBS)
%C%_fuzz_junit_SOURCES = %D%/fuzz-junit.c $(FUZZ_SHARED)
%C%_fuzz_junit_LDFLAGS = $(FUZZ_LINK_FLAGS)
%C%_fuzz_junit_LDADD = $(COMMON_LIBS)
# dagzd's routes, its main() renamed out of the way.
%C%_fuzz_request_SOURCES = %D%/fuzz-request.c $(FUZZ_SHARED) \
	cmd/dagzd/dagzd.c cmd/dagzd/dagzd.h cmd/dagzd/dagzd-baselines.c \
	cmd/dagzd/dagzd-db.c cmd/dagzd/dagzd-http.c cmd/dagzd/dagzd-ingest.c \
	cmd/dagzd/dagzd-jobs.c cmd/dagzd/dagzd-query.c \
	cmd/dagzd/dagzd-quarantine.c \
	cmd/dagzd/dagzd-relay.c cmd/dagzd/dagzd-rendezvous.c \
	cmd/dagzd/dagzd-feed.c cmd/dagzd/dagzd-bundle.c \
	cmd/dagzd/dagzd-web.c cmd/dagzd/dagzd-web.h \
	cmd/dagzd/dagzd-web-job.c cmd/dagzd/dagzd-web-login.c
nodist_%C%_fuzz_request_SOURCES = cmd/dagzd/dagzd-web-assets.c
%C%_fuzz_request_CPPFLAGS = $(AM_CPPFLAGS) -Dmain=dagzd_main \
	-I$(srcdir)/cmd/dagzd
%C%_fuzz_request_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS) $(ZLIB_CFLAGS) \
	$(MHD_CFLAGS) $(ARCHIVE_CFLAGS)
%C%_fuzz_request_LDFLAGS = $(FUZZ_LINK_FLAGS)
%C%_fuzz_request_LDADD = $(COMMON_LIBS) $(SQLITE_LIBS) $(ZLIB_LIBS) \
	$(MHD_LIBS) $(ARCHIVE_LIBS)

# Builds the targets alone: the rest of the tree is not needed to fuzz.
fuzz-targets: $(FUZZ_TARGETS)
.PHONY: fuzz-targets
endif
