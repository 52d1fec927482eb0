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
	%D%/dagzd-quarantine.c \
	%D%/dagzd-relay.c \
	%D%/dagzd-rendezvous.c \
	%D%/dagzd-web.c %D%/dagzd-web.h \
	%D%/dagzd-web-job.c \
	%D%/dagzd-web-login.c
dagzd_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS) $(ZLIB_CFLAGS) $(MHD_CFLAGS)
dagzd_CPPFLAGS = $(AM_CPPFLAGS) -I$(srcdir)/%D%
dagzd_LDADD = $(COMMON_LIBS) $(SQLITE_LIBS) $(ZLIB_LIBS) $(MHD_LIBS)
# The event feed and the agent-context bundle of the dashboard.
dagzd_SOURCES += %D%/dagzd-feed.c %D%/dagzd-bundle.c
dagzd_CFLAGS += $(ARCHIVE_CFLAGS)
dagzd_LDADD += $(ARCHIVE_LIBS)

# The dashboard's assets, compiled in: nothing is fetched at run time.
dagzd_web_files = \
	%D%/web/style.css \
	%D%/web/app.js \
	%D%/web/favicon.svg
nodist_dagzd_SOURCES = %D%/dagzd-web-assets.c
CLEANFILES += %D%/dagzd-web-assets.c
EXTRA_DIST += %D%/web/embed.sh $(dagzd_web_files)
%D%/dagzd-web-assets.c: $(dagzd_web_files) %D%/web/embed.sh
	$(AM_V_GEN)$(MKDIR_P) $(@D) && \
	$(SHELL) $(srcdir)/%D%/web/embed.sh $(srcdir) \
	    $(dagzd_web_files) >$@.tmp && mv -f $@.tmp $@
