"""pyselect: arithmetic, text, shapes and a subprocess, for dagz's tests."""

VERSION = "1.0"
