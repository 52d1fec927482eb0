# libcommon/local.mk: code shared by every dagz program.
noinst_LIBRARIES += libcommon/libcommon.a
libcommon_libcommon_a_SOURCES = \
	%D%/adapter.c %D%/adapter.h \
	%D%/cases.c %D%/cases.h \
	%D%/projconf.c %D%/projconf.h \
	%D%/exitcodes.h \
	%D%/ignore.c %D%/ignore.h \
	%D%/jsonflat.c %D%/jsonflat.h \
	%D%/junit.c %D%/junit.h \
	%D%/jsonv.c %D%/jsonv.h \
	%D%/log.c %D%/log.h \
	%D%/paths.c %D%/paths.h \
	%D%/ndjson.c %D%/ndjson.h \
	%D%/net.c %D%/net.h \
	%D%/outbox.c %D%/outbox.h \
	%D%/slurp.c %D%/slurp.h \
	%D%/proc.c %D%/proc.h \
	%D%/proto.c %D%/proto.h \
	%D%/status.c %D%/status.h \
	%D%/strv.c %D%/strv.h \
	%D%/suite.c %D%/suite.h \
	%D%/tap.c %D%/tap.h \
	%D%/testdef.c %D%/testdef.h \
	%D%/timeutil.c %D%/timeutil.h \
	%D%/trace.c %D%/trace.h \
	%D%/utf8.c %D%/utf8.h \
	%D%/workerenv.c %D%/workerenv.h \
	%D%/xmalloc.c %D%/xmalloc.h
libcommon_libcommon_a_SOURCES += \
	%D%/cienv.c %D%/cienv.h \
	%D%/envmask.c %D%/envmask.h \
	%D%/jobid.c %D%/jobid.h \
	%D%/relay.c %D%/relay.h \
	%D%/store.c %D%/store.h \
	%D%/zbuf.c %D%/zbuf.h
libcommon_libcommon_a_CFLAGS = $(AM_CFLAGS) $(ZLIB_CFLAGS)
# TLS to dagzd: OpenSSL under libevent's bufferevents.
libcommon_libcommon_a_SOURCES += %D%/tls.c %D%/tls.h
libcommon_libcommon_a_CFLAGS += $(EVENT_OPENSSL_CFLAGS) $(OPENSSL_CFLAGS)
COMMON_LIBS += $(EVENT_OPENSSL_LIBS) $(OPENSSL_LIBS)
# Baselines: what tests read, for selecting what a change affects.
libcommon_libcommon_a_SOURCES += %D%/baseline.c %D%/baseline.h
# The agent-context bundle of a test attempt, for zb and dagzd.
libcommon_libcommon_a_SOURCES += %D%/bundle.c %D%/bundle.h
libcommon_libcommon_a_CFLAGS += $(ARCHIVE_CFLAGS)
# Code elements as they are now, from a language hook's fingerprinter,
# for selecting test cases; the hooks are installed under pkgdatadir.
libcommon_libcommon_a_SOURCES += %D%/elements.c %D%/elements.h
libcommon_libcommon_a_CPPFLAGS = $(AM_CPPFLAGS) -DPKGDATADIR='"$(pkgdatadir)"'
