# probe/local.mk: libdagzprobe.so, the LD_PRELOAD dependency probe.
