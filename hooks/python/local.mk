# hooks/python/local.mk: the Python hook (pytest plugin, element
# fingerprints, subprocess coverage), installed where dagz finds it.
pythonhookdir = $(pkgdatadir)/python
dist_pythonhook_DATA = \
	hooks/python/dagz_elements.py \
	hooks/python/dagz_pytest.py \
	hooks/python/sitecustomize.py
