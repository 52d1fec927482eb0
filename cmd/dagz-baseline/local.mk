# cmd/dagz-baseline/local.mk: baselines on the command line.
bin_PROGRAMS += dagz-baseline
dagz_baseline_SOURCES = %D%/dagz-baseline.c
dagz_baseline_LDADD = $(COMMON_LIBS) $(ZLIB_LIBS)
