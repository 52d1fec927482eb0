"""A file whose cases all pass."""


def test_upper():
    assert "dagz".upper() == "DAGZ"


def test_split():
    assert "a b".split() == ["a", "b"]
