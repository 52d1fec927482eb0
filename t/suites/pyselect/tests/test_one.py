"""Cases over arithmetic and text."""

from pyselect import arith, text


def test_add():
    assert arith.add(2, 3) == 5


def test_sub():
    assert arith.sub(2, 3) == -1


def test_mul():
    assert arith.mul(4, 5) == 20


def test_div():
    assert arith.div(7, 2) == 3.5


def test_div_by_zero():
    assert arith.div(1, 0) is None


def test_mean():
    assert arith.mean([1, 2, 3, 6]) == 3


def test_hypot():
    assert arith.hypot(3, 4) == 5


def test_add_sub():
    assert arith.sub(arith.add(10, 5), 5) == 10


def test_mul_div():
    assert arith.div(arith.mul(6, 7), 7) == 6


def test_shout():
    assert text.shout("hi") == "HI!"


def test_words():
    assert text.words("a b  c") == ["a", "b", "c"]


def test_initials():
    assert text.initials("portable network graphics") == "PNG"


def test_palindrome():
    assert text.is_palindrome("Never odd or even")


def test_not_palindrome():
    assert not text.is_palindrome("dagz")


def test_vowels():
    assert text.vowels("Selection") == 4


def test_slug():
    assert text.slug("Hello, World of Tests") == "hello-world-of-tests"


def test_shout_words():
    assert [text.shout(w) for w in text.words("x y")] == ["X!", "Y!"]


def test_mean_of_words():
    assert arith.mean([len(w) for w in text.words("ab abcd")]) == 3


def test_vowels_added():
    assert arith.add(text.vowels("aa"), text.vowels("e")) == 3


def test_nothing():
    assert 1 + 1 == 2
