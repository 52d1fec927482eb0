# probe/local.mk: libdagzprobe.so, the LD_PRELOAD dependency probe.
# It is loaded into arbitrary programs, so it is built as a shared object
# of its own: position-independent, exporting only the functions it
# interposes, linked against libc alone, and never with the sanitizers
# (their runtime cannot be preloaded into a program built without it).
# automake keeps PROGRAMS out of pkglibdir; a directory of our own is not.
dagzprobedir = $(pkglibdir)
dagzprobe_PROGRAMS = %D%/libdagzprobe.so
%C%_libdagzprobe_so_SOURCES = \
	%D%/probe.c %D%/probe.h \
	%D%/probe-exec.c \
	%D%/probe-fs.c \
	%D%/probe-json.c \
	%D%/probe-path.c
%C%_libdagzprobe_so_CPPFLAGS = -include $(top_builddir)/config.h
%C%_libdagzprobe_so_CFLAGS = -fPIC -fvisibility=hidden $(DAGZ_WARN_CFLAGS)
%C%_libdagzprobe_so_LDFLAGS = -shared -Wl,-z,defs -Wl,-z,now
%C%_libdagzprobe_so_LDADD = -ldl

# Reading what it wrote, for the worker and baselines.
