# cmd/zb/local.mk: the query CLI.
bin_PROGRAMS += zb
zb_SOURCES = \
	%D%/zb.c %D%/zb.h \
	%D%/zb-cases.c \
	%D%/zb-common.c \
	%D%/zb-daemon.c \
	%D%/zb-flaky.c \
	%D%/zb-init.c \
	%D%/zb-job.c \
	%D%/zb-jobs.c \
	%D%/zb-junit.c \
	%D%/zb-logs.c \
	%D%/zb-quarantine.c \
	%D%/zb-select-tests.c \
	%D%/zb-span-logs.c \
	%D%/zb-spans.c \
	%D%/zb-tests.c
zb_CFLAGS = $(AM_CFLAGS) $(ARCHIVE_CFLAGS)
zb_LDADD = $(COMMON_LIBS) $(ARCHIVE_LIBS)
