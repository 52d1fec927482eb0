# hooks/bats/local.mk: the bats hook (the filter of a subset of a .bats
# file's cases), installed where dagz finds it.
batshookdir = $(pkgdatadir)/bats
dist_batshook_DATA = hooks/bats/dagz_bats_filter.awk
