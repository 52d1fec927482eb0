# dagz_bats_filter.awk: the names of a subset of a .bats file's cases,
# one a line as TAP reports them ($DAGZ_CASES), as the extended regular
# expression ^(a|b)$ that bats --filter matches against the name of each
# @test as written between its quotes. ERE's special characters are
# escaped; a backslash, '$', '"' and '`' may be written behind a
# backslash in the source (in double quotes) and stand alone in TAP, so
# one more backslash before them is optional.
{
	s = ""
	for (i = 1; i <= length($0); i++) {
		c = substr($0, i, 1)
		if (c == "\\")
			s = s "\\\\\\\\?"
		else if (c == "$")
			s = s "\\\\?\\$"
		else if (c == "\"" || c == "`")
			s = s "\\\\?" c
		else if (index("^.[()|*+?{", c) > 0)
			s = s "\\" c
		else
			s = s c
	}
	r = r (NR > 1 ? "|" : "") s
}
END {
	printf "^(%s)$", r
}
