# cmd/dagzd/local.mk: the store daemon.
