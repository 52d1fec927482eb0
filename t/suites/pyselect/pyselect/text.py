"""Words and letters."""

VOWELS = "aeiou"


def shout(s):
    return s.upper() + "!"


def words(s):
    return s.split()


def initials(s):
    return "".join(w[0].upper() for w in words(s))


def is_palindrome(s):
    t = "".join(c for c in s.lower() if c.isalnum())
    return t == t[::-1]


def vowels(s):
    return sum(1 for c in s.lower() if c in VOWELS)


def slug(s):
    def clean(w):
        return "".join(c for c in w.lower() if c.isalnum())
    return "-".join(clean(w) for w in words(s))
