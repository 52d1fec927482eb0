"""Rectangles and circles."""

import math


class Rect(object):
    """A rectangle of width w and height h."""

    kind = "rect"

    def __init__(self, w, h):
        self.w = w
        self.h = h

    def area(self):
        return self.w * self.h

    def perimeter(self):
        return 2 * (self.w + self.h)

    def scaled(self, k):
        return Rect(self.w * k, self.h * k)


class Circle(object):
    kind = "circle"

    def __init__(self, r):
        self.r = r

    def area(self):
        return math.pi * self.r * self.r


def biggest(shapes):
    return max(shapes, key=lambda s: s.area())
