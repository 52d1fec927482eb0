"""Arithmetic: passing, failing, skipped and expected-to-fail cases."""
import pytest


def test_add():
    assert 2 + 3 == 5


def test_sub_wrong():
    assert 5 - 3 == 1


@pytest.mark.skip(reason="not on this machine")
def test_skipped():
    assert False


@pytest.mark.xfail(reason="floats are not exact")
def test_float_exact():
    assert 0.1 + 0.2 == 0.3


@pytest.mark.parametrize("n", [1, 2, 3])
def test_double(n):
    assert n * 2 == n + n
