# At the project's root, so that pytest puts the root on sys.path and the
# tests import pyselect from here.
