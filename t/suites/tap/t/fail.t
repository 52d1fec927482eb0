# fail.t: one Test::More case passes, one fails.
use strict;
use warnings;
use Test::More tests => 2;

ok(1, 'one is true');
is(2 * 2, 5, 'two times two is five');
