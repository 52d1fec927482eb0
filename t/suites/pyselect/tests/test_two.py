"""Cases over shapes, a subprocess, and a fixture shared by the file."""

import pytest

from pyselect import arith, proc, shapes, text


@pytest.fixture(scope="module")
def names():
    return text.words("rect circle square")


def test_rect_area():
    assert shapes.Rect(2, 3).area() == 6


def test_rect_perimeter():
    assert shapes.Rect(2, 3).perimeter() == 10


def test_rect_scaled():
    assert shapes.Rect(1, 2).scaled(3).area() == 18


def test_circle_area():
    assert round(shapes.Circle(1).area(), 2) == 3.14


def test_biggest():
    r, c = shapes.Rect(1, 1), shapes.Circle(1)
    assert shapes.biggest([r, c]) is c


def test_kinds():
    assert (shapes.Rect.kind, shapes.Circle.kind) == ("rect", "circle")


def test_square():
    assert shapes.Rect(3, 3).area() == arith.mul(3, 3)


def test_triple():
    assert proc.triple(4) == 12


def test_child():
    assert proc.in_child(5) == 15


def test_names(names):
    assert names == ["rect", "circle", "square"]


def test_names_count(names):
    assert len(names) == 3


def test_names_shout(names):
    assert text.shout(names[0]) == "RECT!"


def test_area_sum():
    assert arith.add(shapes.Rect(1, 2).area(), shapes.Rect(2, 2).area()) == 6


def test_perimeter_mean():
    rs = [shapes.Rect(1, 1), shapes.Rect(2, 2)]
    assert arith.mean([r.perimeter() for r in rs]) == 6


def test_hypot_rect():
    assert arith.hypot(3, 4) == shapes.Rect(1, 5).area()


def test_slug_kind():
    assert text.slug(shapes.Circle.kind) == "circle"


def test_scaled_twice():
    assert shapes.Rect(1, 1).scaled(2).scaled(2).perimeter() == 16


def test_initials_kinds():
    assert text.initials("rect circle") == "RC"


@pytest.mark.parametrize("w, h", [(1, 2), (3, 4)])
def test_rect_param(w, h):
    assert shapes.Rect(w, h).area() == arith.mul(w, h)


def square_of(n):
    """A helper no case calls."""
    return n * n
