# cmd/dagz-worker/local.mk: runs tests, one process tree at a time.
bin_PROGRAMS += dagz-worker
dagz_worker_SOURCES = \
	%D%/dagz-worker.c %D%/worker.h \
	%D%/worker-loop.c %D%/worker-run.c
dagz_worker_LDADD = $(COMMON_LIBS)
dagz_worker_LDADD += $(ZLIB_LIBS)
