"""Arithmetic on numbers and lists of numbers."""

import math


def add(a, b):
    return a + b


def sub(a, b):
    return a - b


def mul(a, b):
    return a * b


def div(a, b):
    """a / b, and None for a division by zero."""
    if b == 0:
        return None
    return a / b


def mean(xs):
    return div(sum(xs), len(xs))


def hypot(a, b):
    return math.sqrt(add(mul(a, a), mul(b, b)))
