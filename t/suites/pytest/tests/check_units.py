"""Collected because pytest.ini names check_*.py files."""


def test_meters():
    assert 1000 // 100 == 10


def test_feet():
    assert 3 * 12 == 37
