# man1/local.mk: manual pages.
dist_man_MANS += \
	man1/dagz.1 \
	man1/dagz-sched.1 \
	man1/dagz-vassal.1 \
	man1/dagz-worker.1 \
	man7/dagz-protocol.7
dist_man_MANS += \
	man1/dagz-baseline.1 \
	man1/dagzd.1 \
	man1/zb.1
dist_man_MANS += man7/dagz-probe.7
