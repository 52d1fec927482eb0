# cmd/dagz-sched/local.mk: the scheduler, one per job.
bin_PROGRAMS += dagz-sched
dagz_sched_SOURCES = \
	%D%/dagz-sched.c %D%/sched.h \
	%D%/sched-bisect.c \
	%D%/sched-dispatch.c \
	%D%/sched-filter.c \
	%D%/sched-join.c \
	%D%/sched-loop.c \
	%D%/sched-node.c \
	%D%/sched-output.c \
	%D%/sched-plan.c \
	%D%/sched-repeat.c \
	%D%/sched-quarantine.c \
	%D%/sched-pollution.c \
	%D%/sched-report.c \
	%D%/sched-select.c \
	%D%/sched-status.c \
	%D%/sched-stop.c \
	%D%/sched-store.c
dagz_sched_LDADD = $(COMMON_LIBS)
dagz_sched_LDADD += $(ZLIB_LIBS)
