# cmd/dagz-vassal/local.mk: the per-node coordinator of workers.
bin_PROGRAMS += dagz-vassal
dagz_vassal_SOURCES = \
	%D%/dagz-vassal.c %D%/vassal.h \
	%D%/vassal-loop.c
dagz_vassal_LDADD = $(COMMON_LIBS)
