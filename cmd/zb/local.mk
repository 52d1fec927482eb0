# cmd/zb/local.mk: the query CLI.
