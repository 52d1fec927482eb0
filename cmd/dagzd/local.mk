# cmd/dagzd/local.mk: the store daemon.
bin_PROGRAMS += dagzd
dagzd_SOURCES = \
	%D%/dagzd.c %D%/dagzd.h \
	%D%/dagzd-baselines.c \
	%D%/dagzd-db.c \
	%D%/dagzd-http.c \
	%D%/dagzd-ingest.c \
	%D%/dagzd-jobs.c \
	%D%/dagzd-query.c \
	%D%/dagzd-relay.c \
	%D%/dagzd-rendezvous.c
dagzd_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS) $(ZLIB_CFLAGS) $(MHD_CFLAGS)
dagzd_LDADD = $(COMMON_LIBS) $(SQLITE_LIBS) $(ZLIB_LIBS) $(MHD_LIBS)
# The event feed and the agent-context bundle of the dashboard.
dagzd_SOURCES += %D%/dagzd-feed.c %D%/dagzd-bundle.c
dagzd_CFLAGS += $(ARCHIVE_CFLAGS)
dagzd_LDADD += $(ARCHIVE_LIBS)
