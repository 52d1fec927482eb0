/*
 * check.c: a tiny program for the ctest suite: exits 0 when its first
 * two arguments add up to the third, 1 when they do not.
 */
#include <stdio.h>
#include <stdlib.h>

int
main(int argc, char **argv)
{
	long a, b, sum;

	if (argc != 4) {
		fprintf(stderr, "usage: check a b sum\n");
		return (2);
	}
	a = strtol(argv[1], NULL, 10);
	b = strtol(argv[2], NULL, 10);
	sum = strtol(argv[3], NULL, 10);
	printf("%ld + %ld = %ld\n", a, b, a + b);
	return (a + b == sum ? 0 : 1);
}
