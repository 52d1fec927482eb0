# cmd/dagz-vassal/local.mk: the per-node coordinator of workers. Each
# adapter is one collect-NAME.c, a row of the table in collect.c.
bin_PROGRAMS += dagz-vassal
dagz_vassal_SOURCES = \
	%D%/dagz-vassal.c %D%/vassal.h \
	%D%/vassal-loop.c \
	%D%/collect.c %D%/collect.h \
	%D%/collect-automake.c \
	%D%/collect-bats.c \
	%D%/collect-ctest.c \
	%D%/collect-exec.c \
	%D%/collect-manifest.c \
	%D%/collect-pytest.c \
	%D%/collect-tap.c
dagz_vassal_LDADD = $(COMMON_LIBS) $(ZLIB_LIBS)
