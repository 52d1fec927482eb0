# scripts/local.mk: the dagz front end, installed as dagz and dagz-run.
bin_SCRIPTS += scripts/dagz
dist_noinst_SCRIPTS += scripts/check scripts/demo
EXTRA_DIST += scripts/dagz.in scripts/lib.sh
CLEANFILES += scripts/dagz

scripts/dagz: $(srcdir)/scripts/dagz.in Makefile
	$(AM_V_GEN)$(MKDIR_P) scripts && \
	$(SED) -e 's|@bindir[@]|$(bindir)|g' \
	    -e 's|@VERSION[@]|$(VERSION)|g' $(srcdir)/scripts/dagz.in >$@.tmp && \
	chmod +x $@.tmp && mv $@.tmp $@

install-exec-hook:
	cd $(DESTDIR)$(bindir) && rm -f dagz-run && $(LN_S) dagz dagz-run

uninstall-hook:
	rm -f $(DESTDIR)$(bindir)/dagz-run
