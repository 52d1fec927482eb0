# basic.t: Test::More cases that pass, one skipped and one TODO, for
# prove and for dagz run --tap 't/*.t' --tap-exec perl.
use strict;
use warnings;
use Test::More tests => 4;

ok(1 + 1 == 2, 'addition');
is(lc('ABC'), 'abc', 'lower case');
SKIP: {
	skip 'no network here', 1;
	ok(0, 'fetches a page');
}
TODO: {
	local $TODO = 'not written yet';
	ok(0, 'the future');
}
