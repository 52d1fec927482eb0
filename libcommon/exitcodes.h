/* exitcodes.h: the exit statuses every dagz program documents. */
#ifndef DAGZ_EXITCODES_H
#define DAGZ_EXITCODES_H

#define DAGZ_EXIT_OK	0	/* every selected test passed */
#define DAGZ_EXIT_FAIL	1	/* a test failed */
#define DAGZ_EXIT_USAGE	2	/* bad usage or bad input; nothing ran */
#define DAGZ_EXIT_ERROR	3	/* dagz itself failed */

#endif
