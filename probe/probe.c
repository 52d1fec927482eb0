/*
 * probe.c: libdagzprobe.so in one process: its configuration, its trace
 * file and the records written to it (dagz-probe(7)).
 *
 * Each process writes its own file in DAGZ_PROBE_OUT, so that nothing
 * written by a fork, a thread or an exec ever interleaves. The file is
 * mapped shared and records are copied into the mapping: they are in the
 * page cache as soon as they are made and survive a SIGKILL, which a
 * buffer flushed at exit would not. The file grows by zeroes written at
 * its end ahead of the records (trace_fill), which reports a full disk
 * instead of a SIGBUS later, and a few hundred bytes are always kept
 * for the record that says the trace was cut short. No
 * descriptor stays open between records: a program that closes or
 * reuses every descriptor cannot disturb the probe.
 *
 * One lock guards the state, taken only once the process has a second
 * thread; a thread that is already inside the probe when a signal
 * handler calls an interposed function, a process that is exiting, and
 * the exec wrappers in a vfork child write instead to a side file, with
 * one open, write and close on the stack, which takes no lock and
 * touches no shared memory.
 */
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/single_threaded.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "probe.h"

#define TRACE_FIRST	(64 * 1024)	/* first size of the mapping */
#define TRACE_FILL	(64 * 1024)	/* the most a file grows by at once */
#define TRACE_RESERVE	512	/* for the record saying it was cut */
#define TRACE_LIMIT	(64 * 1024 * 1024)	/* DAGZ_PROBE_LIMIT */
#define TRACE_MIN	4096
/* Records made where the stack may be small (a signal handler's). */
#define SIDE_PATH_MAX	1024
#define SIDE_LINE_MAX	2048

struct probe_config probe_conf;

/*
 * The state of this process. A process started by exec heads its file
 * with an app record, a child of fork with a fork record.
 */
static struct {
	pid_t		 pid;		/* the process it is for */
	pid_t		 ppid;
	int		 app;		/* started by exec */
	int		 forked;	/* a child of fork */
	struct timespec	 start;
	char		 file[PROBE_PATH_MAX + 64];	/* or "" */
	char		*map;
	size_t		 mapsize;
	size_t		 filled;	/* the file's size: room for records */
	size_t		 used;
	int		 failed;	/* the file could not be made */
	int		 full;		/* cut short: nothing more */
	int		 closed;	/* exiting: to the side file */
	long long	 last_t;	/* of its last path record; 0: none */
} st;

static pthread_mutex_t	 lock = PTHREAD_MUTEX_INITIALIZER;
static __thread volatile int busy __attribute__((tls_model("initial-exec")));

/*
 * The last path this thread passed to a wrapper, as it was given, and
 * the kinds of record made for it, so that the stat after an open of the
 * same path costs a string comparison. Read and written only inside the
 * probe (busy set), where no signal handler comes in; seq changes with
 * it, for what probe_pre found out before a handler ran.
 */
#define LAST_MAX	128
static __thread struct {
	unsigned	 seq;
	unsigned	 gen;
	unsigned	 kinds;
	char		 path[LAST_MAX];
} last __attribute__((tls_model("initial-exec")));
static int		 scanning;

/*
 * The set: for each record, 64 bits of the hash of its path and kind,
 * in buckets of one cache line picked by 64 other bits. Another record
 * with the same 64 bits in the same bucket would go unwritten: a chance
 * of 2^-61 a lookup, for a well-mixed hash.
 *
 * The table grows freely to SET_SMALL buckets, which stay in the
 * nearest caches. Past that, a new record takes the place of an old
 * one, and the table grows only once records are being written again:
 * a process that touches each of many files once would gain nothing
 * from a larger table but cache misses. To tell, one record in
 * 2^SAMPLE_BITS (by hash) is also kept in a small table of its own,
 * where a record met again that the set no longer holds shows up; the
 * set grows when such records, so counted, come to one in AGAIN_SHARE
 * of those added to it.
 */
#define BUCKET		8	/* slots; 64 bytes */
#define SET_FIRST	16	/* buckets */
#define SET_SMALL	1024	/* 64 KiB */
#define SET_MAX		8192	/* 512 KiB */
#define SAMPLE_BITS	7
#define SAMPLE		1024	/* slots; 8 KiB */
#define AGAIN_MIN	8
#define AGAIN_SHARE	4
#define RECENT		64

static uint64_t		*slots;
static size_t		 nbuckets, nused;
static size_t		 nadded, nagain;	/* since the table was made */
static uint64_t		 sample[SAMPLE];
static size_t		 nsample;
static uint64_t		 recent[RECENT];

/* Used under the lock only, but for mapsbuf (under scanning). */
static char		 linebuf[PROBE_LINE_MAX];
static char		 pathbuf[PROBE_PATH_MAX];
static char		 appbuf[PROBE_APP_MAX];
static char		 mapsbuf[16384];

void *
probe_dlsym(const char *name)
{
	return (dlsym(RTLD_NEXT, name));
}

pid_t
probe_owner(void)
{
	return (st.pid);
}

/*
 * Whether the caller runs in a process other than the one the state is
 * for: a vfork child (which shares our memory), or a child of a raw
 * clone or _Fork (which ran no fork handler).
 */
int
probe_foreign(void)
{
	return (getpid() != st.pid);
}

static size_t
put_num(char *p, unsigned long long v)
{
	char b[24];
	size_t i = sizeof b, n;

	do {
		b[--i] = '0' + v % 10;
		v /= 10;
	} while (v != 0);
	n = sizeof b - i;
	memcpy(p, b + i, n);
	return (n);
}

/* OUT/NAME into p, which holds PROBE_PATH_MAX + 64 bytes. */
static void
out_name(char *p, const char *name)
{
	size_t n = strlen(probe_conf.out);

	memcpy(p, probe_conf.out, n);
	p[n++] = '/';
	memcpy(p + n, name, strlen(name) + 1);
}

/*
 * The file size limit the program set (RLIMIT_FSIZE), or SIZE_MAX: a
 * file grown past it would get the program SIGXFSZ.
 */
static size_t
fsize_max(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_FSIZE, &rl) == -1 ||
	    rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > SIZE_MAX)
		return (SIZE_MAX);
	return (rl.rlim_cur);
}

/*
 * Appends a line to PID.side.trace with a single write: for records made
 * where the lock cannot be taken or the state must not be touched.
 */
static void
side_write(const char *line, size_t len)
{
	char name[64], path[PROBE_PATH_MAX + 64];
	size_t n;
	off_t end;
	int fd;

	n = put_num(name, getpid());
	memcpy(name + n, ".side.trace", 12);
	out_name(path, name);
	fd = sys_open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
	    O_NOFOLLOW, 0644);
	if (fd == -1)
		return;
	if ((end = lseek(fd, 0, SEEK_END)) != -1 &&
	    (size_t)end + len <= fsize_max() && write(fd, line, len) == -1) {
		/* Nowhere left to say so. */
	}
	close(fd);
}

/*
 * Takes the lock, when there is anybody to lock out: glibc clears
 * __libc_single_threaded before it makes a second thread, and only this
 * thread could make one, which it does not do from inside the probe.
 * Returns whether it took it.
 */
static inline int
lock_shared(void)
{
	if (__libc_single_threaded)
		return (0);
	pthread_mutex_lock(&lock);
	return (1);
}

static inline void
unlock_shared(int locked)
{
	if (locked)
		pthread_mutex_unlock(&lock);
}

/*
 * Enters the probe, unless this thread is inside already (a signal
 * handler called a wrapper) or the process is at its end: -1. Else
 * returns what leave() needs.
 */
static int
enter(void)
{
	int locked;

	if (busy)
		return (-1);
	busy = 1;
	locked = lock_shared();
	if (st.closed) {
		unlock_shared(locked);
		busy = 0;
		return (-1);
	}
	return (locked);
}

static void
leave(int locked)
{
	unlock_shared(locked);
	busy = 0;
}

static size_t
incomplete_line(char *line, size_t cap, const char *why, const char *arg,
    int err)
{
	char msg[SIDE_PATH_MAX + 128];
	struct jbuf jb;
	size_t n = 0, k;

	k = strlen(why);
	memcpy(msg, why, k);
	n = k;
	if (arg != NULL) {
		k = strnlen(arg, SIDE_PATH_MAX - 3);
		msg[n++] = ' ';
		msg[n++] = '\'';
		memcpy(msg + n, arg, k);
		n += k;
		msg[n++] = '\'';
	}
	if (err != 0) {
		memcpy(msg + n, " (errno ", 8);
		n += 8;
		n += put_num(msg + n, err);
		msg[n++] = ')';
	}
	jb_init(&jb, line, cap);
	jb_lit(&jb, "{\"type\":\"incomplete\",\"reason\":");
	jb_str(&jb, msg, n, 1);
	jb_lit(&jb, "}\n");
	return (jb.cut ? 0 : jb.len);
}

/* The trace ends here: says why, in the space kept for it. */
static void
trace_cut(const char *why, int err)
{
	char line[TRACE_RESERVE];
	size_t n;

	n = incomplete_line(line, sizeof line, why, NULL, err);
	if (st.map != NULL && st.used + n <= st.filled) {
		memcpy(st.map + st.used, line, n);
		st.used += n;
	} else
		side_write(line, n);
	st.full = 1;
}

static const char zeros[TRACE_FILL];

/*
 * Makes the file at least need bytes long, by zeroes written at its
 * end, as much again as it has (4 KiB to TRACE_FILL), and maps at least
 * as much of it. Writing puts the pages in the page cache the cheap
 * way: a page first met by a fault in a file grown by fallocate or
 * ftruncate is read in, zeroed, and then made writable, which costs a
 * process that records much more than all else it does for a record.
 * A file size limit (RLIMIT_FSIZE) the program set is kept to, as
 * growing past it would send the program SIGXFSZ.
 */
static int
trace_fill(int fd, size_t need)
{
	size_t size = st.filled, to, n, max;
	ssize_t w;
	char *p;

	n = size < 4096 ? 4096 : size > TRACE_FILL ? TRACE_FILL : size;
	to = size + n > need ? size + n : (need + 4095) & ~(size_t)4095;
	if (to > probe_conf.limit)
		to = probe_conf.limit;
	if (to > (max = fsize_max())) {
		if (need > max) {
			errno = EFBIG;
			return (-1);
		}
		to = max;
	}
	for (; size < to; size += w) {
		n = to - size < sizeof zeros ? to - size : sizeof zeros;
		if ((w = pwrite(fd, zeros, n, size)) <= 0) {
			if (w == 0)
				errno = ENOSPC;
			return (-1);
		}
		st.filled = size + w;
	}
	if (st.mapsize >= size)
		return (0);
	n = st.mapsize != 0 ? st.mapsize : TRACE_FIRST;
	while (n < size)
		n *= 2;
	if (st.map != NULL)
		p = mremap(st.map, st.mapsize, n, MREMAP_MAYMOVE);
	else
		p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		/* Records, and trace_cut's, go only where it is mapped. */
		st.filled = st.mapsize;
		return (-1);
	}
	/* Atomic for trace_prefetch, which reads it without the lock. */
	__atomic_store_n(&st.map, p, __ATOMIC_RELAXED);
	st.mapsize = n;
	return (0);
}

/* Room for len more bytes and the reserve, or the trace is cut. */
static int
trace_grow(size_t len)
{
	size_t need = st.used + len + TRACE_RESERVE;
	int fd, err = 0;

	if (need > probe_conf.limit) {
		trace_cut("trace cut short at DAGZ_PROBE_LIMIT", 0);
		return (-1);
	}
	if ((fd = sys_open(st.file, O_RDWR | O_CLOEXEC, 0)) == -1 ||
	    trace_fill(fd, need) == -1)
		err = errno;
	if (fd != -1)
		close(fd);
	if (err != 0) {
		trace_cut("cannot extend the trace file", err);
		return (-1);
	}
	return (0);
}

static void trace_append(const char *, size_t);

/* Makes PID.RANDOM.trace; a child of fork starts it with a fork record. */
static int
trace_create(void)
{
	static const char hex[] = "0123456789abcdef";
	char name[64], line[128];
	unsigned char rnd[8];
	struct timespec ts;
	struct jbuf jb;
	size_t n, i;
	int fd, err;

	if (syscall(SYS_getrandom, rnd, sizeof rnd, 1) != sizeof rnd) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		for (i = 0; i < sizeof rnd; i++)
			rnd[i] = (ts.tv_nsec >> (i * 3)) ^ (st.pid >> i);
	}
	n = put_num(name, st.pid);
	name[n++] = '.';
	for (i = 0; i < sizeof rnd; i++) {
		name[n++] = hex[rnd[i] >> 4];
		name[n++] = hex[rnd[i] & 15];
	}
	memcpy(name + n, ".trace", 7);
	out_name(st.file, name);
	fd = sys_open(st.file, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC |
	    O_NOFOLLOW, 0644);
	st.filled = st.used = 0;
	st.last_t = 0;
	if (fd == -1 || trace_fill(fd, TRACE_RESERVE) == -1) {
		err = errno;
		if (fd != -1)
			close(fd);
		st.file[0] = '\0';
		st.failed = 1;
		n = incomplete_line(line, sizeof line,
		    "cannot make the trace file", NULL, err);
		side_write(line, n);
		return (-1);
	}
	close(fd);
	if (st.forked) {
		jb_init(&jb, line, sizeof line);
		jb_lit(&jb, "{\"type\":\"fork\",\"pid\":");
		jb_int(&jb, st.pid);
		jb_lit(&jb, ",\"ppid\":");
		jb_int(&jb, st.ppid);
		jb_lit(&jb, ",\"start\":");
		jb_time(&jb, &st.start);
		jb_lit(&jb, "}\n");
		trace_append(line, jb.len);
	}
	return (0);
}

/*
 * Fetches the end of the trace, where the next record goes, into the
 * cache while the kernel works; as set_prefetch, without the lock.
 */
static inline void
trace_prefetch(void)
{
	char *p = __atomic_load_n(&st.map, __ATOMIC_RELAXED);

	if (p != NULL) {
		p += __atomic_load_n(&st.used, __ATOMIC_RELAXED);
		__builtin_prefetch(p, 1);
		__builtin_prefetch(p + 63, 1);
	}
}

/*
 * Room for len bytes at the end of the trace, or NULL; trace_commit
 * says how many were written there.
 */
static inline char *
trace_reserve(size_t len)
{
	if (st.full || st.failed)
		return (NULL);
	if (st.file[0] == '\0' && trace_create() == -1)
		return (NULL);
	if (st.used + len + TRACE_RESERVE > st.filled &&
	    trace_grow(len) == -1)
		return (NULL);
	return (st.map + st.used);
}

static inline void
trace_commit(size_t len)
{
	__atomic_store_n(&st.used, st.used + len, __ATOMIC_RELAXED);
}

static void
trace_append(const char *line, size_t len)
{
	char *dst;

	if ((dst = trace_reserve(len)) != NULL) {
		memcpy(dst, line, len);
		trace_commit(len);
	}
}

/*
 * Unmaps the file and cuts it to what was written, before an exec or at
 * exit; a record made later maps it again.
 */
static void
trace_detach(void)
{
	int fd;

	if (st.map == NULL)
		return;
	if ((fd = sys_open(st.file, O_RDWR | O_CLOEXEC, 0)) != -1) {
		if (ftruncate(fd, st.used) == -1) {
			/* The reader stops at the first NUL byte. */
		}
		close(fd);
	}
	munmap(st.map, st.mapsize);
	__atomic_store_n(&st.map, NULL, __ATOMIC_RELAXED);
	st.mapsize = 0;
	st.filled = st.used;
}

enum probe_kind
probe_error_kind(int err)
{
	switch (err) {
	case ENOENT:
	case ENOTDIR:
		return (PROBE_MISSING);
	case EAGAIN:
	case EBADF:
	case EFAULT:
	case EINTR:
	case EINVAL:
	case EMFILE:
	case ENAMETOOLONG:
	case ENFILE:
	case ENOMEM:
	case ENOSYS:
		/* Says nothing about the file. */
		return (PROBE_NONE);
	default:
		/* It is there, in some state the program acted on. */
		return (PROBE_READ);
	}
}

static const char *
kind_name(enum probe_kind kind)
{
	switch (kind) {
	case PROBE_READ:
		return ("read");
	case PROBE_LIST:
		return ("list");
	case PROBE_MISSING:
		return ("missing");
	case PROBE_CREATE:
		return ("create");
	default:
		return ("write");
	}
}

/* An incomplete record in the set, by the hash of its line. */
#define SET_INCOMPLETE	(PROBE_CREATE + 1)

/*
 * What the set keeps for a record: never 0, which marks a free slot.
 * Each kind changes the hash differently, so one path's keys all differ.
 */
static inline uint64_t
set_key(int kind, const uint64_t h[2])
{
	static const uint64_t salt[SET_INCOMPLETE + 1] = {
		0x9e3779b97f4a7c15ULL, 0x3c6ef372fe94f82aULL,
		0xdaa66d2c7ddf743fULL, 0x78dde6e5fd29f054ULL,
		0x1715609f7c7e6c69ULL, 0xb54cda59fbd2e87eULL,
		0x52fdd5d4e1e5b1a3ULL
	};
	uint64_t k = h[1] ^ salt[kind];

	return (k != 0 ? k : 1);
}

/*
 * Fetches a record's bucket into the cache, without the lock: a stale
 * table is harmless to a prefetch, which never faults.
 */
static inline void
set_prefetch(const uint64_t h[2])
{
	uint64_t *s = __atomic_load_n(&slots, __ATOMIC_RELAXED);
	size_t nb = __atomic_load_n(&nbuckets, __ATOMIC_RELAXED);

	if (s != NULL)
		__builtin_prefetch(&s[(h[0] & (nb - 1)) * BUCKET], 1);
}

/*
 * A table twice as large, empty: the records of the old one may be
 * written again, once, which costs less than moving them.
 */
static __attribute__((noinline)) int
set_grow(void)
{
	uint64_t *ns;
	size_t cap = nbuckets == 0 ? SET_FIRST : nbuckets * 2;

	ns = mmap(NULL, cap * BUCKET * sizeof *ns, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ns == MAP_FAILED)
		return (-1);
	if (slots != NULL)
		munmap(slots, nbuckets * BUCKET * sizeof *slots);
	__atomic_store_n(&slots, ns, __ATOMIC_RELAXED);
	__atomic_store_n(&nbuckets, cap, __ATOMIC_RELAXED);
	nused = nadded = nagain = 0;
	memset(sample, 0, sizeof sample);
	nsample = 0;
	return (0);
}

/*
 * A sampled record the table did not hold: counts it if the sample has
 * it (it was written before), else adds it, emptying a sample that is
 * three quarters full.
 */
static __attribute__((noinline)) void
set_sample(uint64_t key, const uint64_t h[2])
{
	size_t i = (h[0] >> 40) & (SAMPLE - 1);

	for (; sample[i] != 0; i = (i + 1) & (SAMPLE - 1))
		if (sample[i] == key) {
			nagain++;
			return;
		}
	if (nsample >= SAMPLE / 4 * 3) {
		memset(sample, 0, sizeof sample);
		nsample = 0;
		i = (h[0] >> 40) & (SAMPLE - 1);
	}
	sample[i] = key;
	nsample++;
}

/* Whether the table, which has no room for a record, is to grow. */
static inline int
set_may_grow(void)
{
	if (nbuckets < SET_SMALL)
		return (1);
	return (nbuckets < SET_MAX && nagain >= AGAIN_MIN &&
	    (nagain << SAMPLE_BITS) * AGAIN_SHARE >= nadded);
}

/*
 * Adds a record, by the hash of its path, to the set; 1 if it was not
 * there. When the table cannot grow (set_may_grow), a new record takes
 * the place of an old one, which may then be written again. The set
 * only saves space and time: a record written twice is harmless, one
 * not written is not, so without memory it answers 1. The last records
 * are looked at first, so that the stat after an open does not reach
 * into the table. The caller is inside the probe (enter).
 */
static inline __attribute__((always_inline)) int
set_add(int kind, const uint64_t h[2])
{
	uint64_t key = set_key(kind, h), *r, *b;
	size_t k;

	r = &recent[(h[0] >> 40) & (RECENT - 1)];
	if (*r == key)
		return (0);
	*r = key;
	if (nbuckets == 0 && set_grow() == -1)
		return (1);
	for (;;) {
		/*
		 * A bucket fills from its first slot and is never emptied
		 * but whole: the key is before the first free slot, if in.
		 */
		b = &slots[(h[0] & (nbuckets - 1)) * BUCKET];
#pragma GCC unroll 8
		for (k = 0; k < BUCKET; k++) {
			if (b[k] == key)
				return (0);
			if (b[k] == 0)
				break;
		}
		nadded++;
		if (h[0] >> (64 - SAMPLE_BITS) == 0)
			set_sample(key, h);
		if (k < BUCKET && (nused + 1) * 2 <= nbuckets * BUCKET)
			break;
		if (!set_may_grow() || set_grow() == -1) {
			if (k == BUCKET)
				k = (h[0] >> 32) % BUCKET;
			else
				nused++;
			b[k] = key;
			return (1);
		}
	}
	b[k] = key;
	nused++;
	return (1);
}

/* Adds an incomplete record to the set; 1 if it was not there. */
static int
set_add_line(const char *line, size_t n)
{
	uint64_t h[2];

	path_hash(line, n, h);
	return (set_add(SET_INCOMPLETE, h));
}

/* The lock is held: straight into the trace, once. */
static void
incomplete_locked(const char *why)
{
	size_t n;

	n = incomplete_line(linebuf, sizeof linebuf, why, NULL, 0);
	if (set_add_line(linebuf, n))
		trace_append(linebuf, n);
}

/* When a record is made: microseconds on the monotonic clock. */
static inline long long
stamp(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
}

/*
 * A record that needs escaping, or has no room in the mapping; now is
 * its time. In the trace file it is given as the time since the file's
 * record before (d), in the side file as it is (t).
 */
static __attribute__((noinline)) void
note_line(enum probe_kind kind, const char *rel, size_t rl, char *line,
    size_t cap, int locked, long long now)
{
	struct jbuf jb;

	jb_init(&jb, line, cap);
	jb_lit(&jb, "{\"type\":\"");
	jb_lit(&jb, kind_name(kind));
	jb_lit(&jb, "\",");
	jb_path(&jb, rel, rl);
	if (locked && st.last_t != 0) {
		jb_lit(&jb, ",\"d\":");
		jb_int(&jb, now - st.last_t);
	} else {
		jb_lit(&jb, ",\"t\":");
		jb_int(&jb, now);
	}
	jb_lit(&jb, "}\n");
	if (jb.cut && locked)
		incomplete_locked("path too long to record");
	else if (jb.cut)
		probe_incomplete("path too long to record", NULL, 1);
	else if (locked) {
		trace_append(line, jb.len);
		st.last_t = now;
	} else
		side_write(line, jb.len);
}

/*
 * Writes the record of a path relative to the root (h: its hash, when
 * known; plain: it needs no escaping, when known). Locked: once per
 * process and kind, into the trace file; else into the side file, every
 * time.
 */
static inline __attribute__((always_inline)) void
note(enum probe_kind kind, const char *rel, size_t rl, const uint64_t *h,
    int plain, char *line, size_t cap, int locked)
{
	uint64_t hh[2];
	long long now;
	char *dst;
	size_t n;

	if (kind != PROBE_MISSING && rl > 1 && rel[rl - 1] == '/') {
		rl--;
		h = NULL;
	}
	if (locked) {
		if (h == NULL) {
			path_hash(rel, rl, hh);
			h = hh;
		}
		if (!set_add(kind, h))
			return;
		now = stamp();
		/* Most records go straight into the mapping. */
		if (st.last_t != 0 && (dst = trace_reserve(rl + 80)) != NULL &&
		    (n = plain ? jb_path_plain(dst, kind, rel, rl, 'd',
		    now - st.last_t) : jb_path_record(dst, rl + 80, kind, rel,
		    rl, 'd', now - st.last_t)) > 0) {
			trace_commit(n);
			st.last_t = now;
			return;
		}
	} else
		now = stamp();
	note_line(kind, rel, rl, line, cap, locked, now);
}

/* Resolves an absolute path's part under the root, and notes it. */
static void
note_abs(enum probe_kind kind, const char *abs, size_t n, char *line,
    size_t cap, int locked)
{
	const char *rel;
	size_t rl;

	if ((rel = path_rel(abs, n, &rl)) != NULL)
		note(kind, rel, rl, NULL, 0, line, cap, locked);
}

/*
 * The kinds of record this thread made for path, from the working
 * directory of generation gen, when it was the last path it passed;
 * else 0. Inside the probe, where no signal handler changes last.
 */
static inline unsigned
last_kinds(const char *path, unsigned gen)
{
	if (last.kinds == 0 || last.gen != gen || strcmp(path, last.path) != 0)
		return (0);
	return (last.kinds);
}

/*
 * Notes that a record of kind was made for path, n bytes long, which
 * last_kinds said had the kinds had.
 */
static inline void
remember(const char *path, size_t n, unsigned gen, enum probe_kind kind,
    unsigned had)
{
	last.seq++;
	if (had != 0)
		last.kinds = had | 1u << kind;
	else if (n < LAST_MAX) {
		/* Not memcpy, which GCC makes a slow "rep movsq" here. */
		memmove(last.path, path, n + 1);
		last.gen = gen;
		last.kinds = 1u << kind;
	} else
		last.kinds = 0;
}

/*
 * A record made without the lock, into the side file; out of line, so
 * that its buffers are not on the stack of every call.
 */
static __attribute__((noinline)) void
record_side(int dirfd, const char *path, enum probe_kind kind)
{
	char abs[SIDE_PATH_MAX], line[SIDE_LINE_MAX];
	long n;

	n = path_resolve(dirfd, path, abs, sizeof abs, 0);
	if (n >= 0)
		note_abs(kind, abs, n, line, sizeof line, 0);
	else if (n == -2)
		probe_incomplete("path too long to record", NULL, 1);
}

/*
 * Before a call: finds whether this thread has just recorded the path,
 * or else resolves it the quick way and has its place in the set
 * fetched into the cache while the kernel works. Inside the probe, so
 * that no signal handler changes last meanwhile; but no lock is taken.
 */
void
probe_pre(int dirfd, const char *path, struct probe_pre *pp)
{
	pp->gen = 0;	/* never the working directory's */
	pp->checked = 0;
	pp->known = 0;
	pp->absent = 0;
	pp->state = QUICK_NONE;
	if (!probe_conf.enabled || path == NULL || busy)
		return;
	busy = 1;
	pp->gen = path_cwd_gen();
	if (dirfd == AT_FDCWD) {
		pp->checked = 1;
		pp->seq = last.seq;
		if ((pp->known = last_kinds(path, pp->gen)) != 0)
			goto out;
	}
	if (path[0] == '/' && !path_maybe_root(path)) {
		pp->state = QUICK_ELSEWHERE;
		goto out;
	}
	path_quick(dirfd, path, pp);
	if (pp->state == QUICK_DONE) {
		set_prefetch(pp->h);
		trace_prefetch();
	}
out:
	busy = 0;
}

/*
 * Records what a call said of a path: at most once per process and kind
 * in the trace file, through the side file when the probe cannot take
 * its state. What probe_pre found out (pp, if not NULL) holds while the
 * working directory is the same; else the path is looked at here, the
 * common case (see path_quick) before the lock is taken.
 */
static void
record(int dirfd, const char *path, enum probe_kind kind, int foreign,
    const struct probe_pre *pp)
{
	struct probe_pre q;
	unsigned gen, had;
	int locked;
	long n;

	if (!probe_conf.enabled || path == NULL || path[0] == '\0' ||
	    kind == PROBE_NONE)
		return;
	if (foreign || busy) {
		record_side(dirfd, path, kind);
		return;
	}
	busy = 1;
	/* Read first: a path resolved later may only be newer. */
	gen = path_cwd_gen();
	if (pp == NULL || pp->gen != gen) {
		q.checked = 0;
		q.state = QUICK_NONE;
		pp = &q;
	}
	if (pp->state == QUICK_ELSEWHERE)
		goto out;
	if (pp->checked && pp->seq == last.seq)
		had = pp->known;
	else
		had = dirfd == AT_FDCWD ? last_kinds(path, gen) : 0;
	if (had & 1u << kind)
		goto out;
	if (pp == &q) {
		if (path[0] == '/' && !path_maybe_root(path))
			goto out;
		path_quick(dirfd, path, &q);
		if (q.state == QUICK_ELSEWHERE)
			goto out;
	}
	locked = lock_shared();
	if (st.closed) {
		unlock_shared(locked);
		busy = 0;
		record_side(dirfd, path, kind);
		return;
	}
	if (pp->state == QUICK_DONE)
		note(kind, pp->rel, pp->len, pp->h, pp->plain, linebuf,
		    sizeof linebuf, 1);
	else if ((n = path_resolve(dirfd, path, pathbuf, sizeof pathbuf,
	    1)) >= 0)
		note_abs(kind, pathbuf, n, linebuf, sizeof linebuf, 1);
	else if (n == -2)
		incomplete_locked("path too long to record");
	unlock_shared(locked);
	if (dirfd == AT_FDCWD)
		remember(path, pp->state == QUICK_DONE ? pp->plen :
		    strlen(path), gen, kind, had);
out:
	busy = 0;
}

void
probe_path(int dirfd, const char *path, enum probe_kind kind, int foreign)
{
	record(dirfd, path, kind, foreign, NULL);
}

/* A lookup (stat, access, readlink): found, missing, or no matter. */
void
probe_result(int dirfd, const char *path, int ok, int err,
    const struct probe_pre *pp)
{
	record(dirfd, path, ok ? PROBE_READ : probe_error_kind(err), 0, pp);
}

/*
 * Before an open that may create its path (O_CREAT, not O_EXCL, which
 * says so itself): whether nothing is there, so that the record after
 * it can tell a file the test made from one it rewrote. Not for a path
 * outside the root, or one this thread has just recorded, whose first
 * record is made. The program's errno is kept.
 */
void
probe_pre_create(int dirfd, const char *path, int flags, struct probe_pre *pp)
{
	struct statx stx;
	int saved;

	if (!probe_conf.enabled || path == NULL || (flags & O_CREAT) == 0 ||
	    (flags & O_EXCL) != 0 || (flags & O_TMPFILE) == O_TMPFILE ||
	    pp->state == QUICK_ELSEWHERE || pp->known != 0)
		return;
	saved = errno;
	pp->absent = syscall(SYS_statx, dirfd, path, AT_SYMLINK_NOFOLLOW, 0,
	    &stx) == -1 && (errno == ENOENT || errno == ENOTDIR);
	errno = saved;
}

/*
 * An open: what it read and what it wrote follow from its flags. One
 * that made its file read nothing.
 */
void
probe_open_result(int dirfd, const char *path, int flags, int ok, int err,
    const struct probe_pre *pp)
{
	int acc = flags & O_ACCMODE;

	if (!probe_conf.enabled)
		return;
	if (!ok) {
		record(dirfd, path, probe_error_kind(err), 0, pp);
		return;
	}
	if ((flags & O_TMPFILE) == O_TMPFILE)
		return;
	if ((flags & O_CREAT) != 0 &&
	    ((flags & O_EXCL) != 0 || (pp != NULL && pp->absent))) {
		record(dirfd, path, PROBE_CREATE, 0, pp);
		return;
	}
	/* What O_TRUNC throws away was not read. */
	if (flags & O_DIRECTORY)
		record(dirfd, path, PROBE_LIST, 0, pp);
	else if (acc == O_RDONLY || (acc == O_RDWR && !(flags & O_TRUNC)))
		record(dirfd, path, PROBE_READ, 0, pp);
	if (acc == O_WRONLY || acc == O_RDWR || (flags & (O_CREAT | O_TRUNC)))
		record(dirfd, path, PROBE_WRITE, 0, pp);
}

void
probe_line(const char *line, size_t len, int foreign)
{
	int how;

	if (!probe_conf.enabled)
		return;
	if (!foreign && (how = enter()) != -1) {
		trace_append(line, len);
		leave(how);
		return;
	}
	side_write(line, len);
}

/* The trace cannot be trusted to hold everything: says why, once. */
void
probe_incomplete(const char *why, const char *arg, int foreign)
{
	char line[SIDE_LINE_MAX];
	int how;
	size_t n;

	if (!probe_conf.enabled)
		return;
	n = incomplete_line(line, sizeof line, why, arg, 0);
	if (!foreign && (how = enter()) != -1) {
		if (set_add_line(line, n))
			trace_append(line, n);
		leave(how);
		return;
	}
	side_write(line, n);
}

static size_t
app_line(struct jbuf *jb, pid_t pid, pid_t ppid, char *const *argv,
    int traced, int *cut)
{
	jb_lit(jb, "{\"type\":\"app\",\"pid\":");
	jb_int(jb, pid);
	jb_lit(jb, ",\"ppid\":");
	jb_int(jb, ppid);
	jb_lit(jb, ",\"start\":");
	jb_now(jb);
	jb_lit(jb, ",\"argv\":");
	*cut = jb_argv(jb, argv, jb->cap - 64);
	if (*cut)
		jb_lit(jb, ",\"cut\":true");
	if (!traced)
		jb_lit(jb, ",\"traced\":false");
	jb_lit(jb, "}\n");
	return (jb->len);
}

/*
 * The parent's record of a program the probe cannot follow into: the
 * trace is already incomplete, so a long argv is simply cut.
 */
void
probe_app_untraced(pid_t pid, pid_t ppid, char *const *argv, int foreign)
{
	char line[SIDE_LINE_MAX * 2];
	struct jbuf jb;
	int cut;

	if (!probe_conf.enabled)
		return;
	jb_init(&jb, line, sizeof line);
	app_line(&jb, pid, ppid, argv, 0, &cut);
	probe_line(line, jb.len, foreign);
}

/* The parent's view of a child's end, from the wait family. */
void
probe_reap(pid_t pid, int status)
{
	char line[160];
	struct jbuf jb;

	if (!probe_conf.enabled || (!WIFEXITED(status) && !WIFSIGNALED(status)))
		return;
	jb_init(&jb, line, sizeof line);
	jb_lit(&jb, "{\"type\":\"reap\",\"pid\":");
	jb_int(&jb, pid);
	jb_lit(&jb, ",\"end\":");
	jb_now(&jb);
	if (WIFEXITED(status)) {
		jb_lit(&jb, ",\"exit\":");
		jb_int(&jb, WEXITSTATUS(status));
	} else {
		jb_lit(&jb, ",\"signal\":");
		jb_int(&jb, WTERMSIG(status));
	}
	jb_lit(&jb, "}\n");
	probe_line(line, jb.len, 0);
}

/*
 * Records the files under the root that are mapped into the process: the
 * program and its libraries, which the loader opens without libc's open,
 * and at exit those loaded by dlopen since.
 */
static void
scan_maps(void)
{
	size_t len = 0, i, start;
	ssize_t n;
	char *p, *end;
	int fd;

	if (__atomic_exchange_n(&scanning, 1, __ATOMIC_ACQUIRE))
		return;
	if ((fd = sys_open("/proc/self/maps", O_RDONLY | O_CLOEXEC, 0)) == -1)
		goto done;
	for (;;) {
		n = read(fd, mapsbuf + len, sizeof mapsbuf - 1 - len);
		if (n <= 0)
			break;
		len += n;
		for (start = 0, i = 0; i < len; i++) {
			if (mapsbuf[i] != '\n')
				continue;
			mapsbuf[i] = '\0';
			p = memchr(mapsbuf + start, '/', i - start);
			if (p != NULL) {
				end = mapsbuf + i;
				if (end - p > 10 &&
				    memcmp(end - 10, " (deleted)", 10) == 0)
					end[-10] = '\0';
				probe_path(AT_FDCWD, p, PROBE_READ, 0);
			}
			start = i + 1;
		}
		memmove(mapsbuf, mapsbuf + start, len - start);
		len -= start;
		if (len == sizeof mapsbuf - 1)
			len = 0;	/* a line longer than any path */
	}
	close(fd);
done:
	__atomic_store_n(&scanning, 0, __ATOMIC_RELEASE);
}

/*
 * The end of this process: an exit record, and the file cut to its
 * length. From exit() (with its status, through on_exit) or _exit().
 */
void
probe_exit(int status)
{
	char line[160];
	int how;
	struct jbuf jb;

	if (!probe_conf.enabled || getpid() != st.pid)
		return;
	if (st.app)
		scan_maps();
	if ((how = enter()) == -1)
		return;
	if (st.app || st.file[0] != '\0') {
		jb_init(&jb, line, sizeof line);
		jb_lit(&jb, "{\"type\":\"exit\",\"pid\":");
		jb_int(&jb, st.pid);
		jb_lit(&jb, ",\"end\":");
		jb_now(&jb);
		jb_lit(&jb, ",\"exit\":");
		jb_int(&jb, status & 0377);
		jb_lit(&jb, "}\n");
		trace_append(line, jb.len);
	}
	trace_detach();
	st.closed = 1;
	leave(how);
}

/* Before an exec: the new image makes a file of its own. */
void
probe_detach(void)
{
	int how;

	if (!probe_conf.enabled || (how = enter()) == -1)
		return;
	trace_detach();
	leave(how);
}

static void
exit_handler(int status, void *arg)
{
	int saved = errno;

	probe_exit(status);
	errno = saved;
}

/*
 * fork: the lock is held across it, so the child never inherits it
 * taken; a child of fork that has written nothing makes its file before
 * forking again, so that its children can be traced back to it.
 */
static void
fork_prepare(void)
{
	int saved = errno;

	if (!probe_conf.enabled)
		return;
	busy = 1;
	pthread_mutex_lock(&lock);
	if (st.forked && !st.closed && !st.failed && st.file[0] == '\0')
		trace_create();
	errno = saved;
}

static void
fork_parent(void)
{
	if (!probe_conf.enabled)
		return;
	pthread_mutex_unlock(&lock);
	busy = 0;
}

/*
 * The child keeps the set of records (its parent wrote them, and the
 * reader merges every file of a test) but must not write into its
 * parent's mapping, which fork shares.
 */
static void
fork_child(void)
{
	int saved = errno;

	if (!probe_conf.enabled)
		return;
	pthread_mutex_init(&lock, NULL);
	busy = 0;
	if (st.map != NULL)
		munmap(st.map, st.mapsize);
	st.map = NULL;
	st.mapsize = st.filled = st.used = 0;
	st.last_t = 0;
	st.file[0] = '\0';
	st.failed = st.full = st.closed = 0;
	st.app = 0;
	st.forked = 1;
	scanning = 0;
	st.pid = getpid();
	st.ppid = getppid();
	clock_gettime(CLOCK_REALTIME, &st.start);
	errno = saved;
}

static int
within(const char *p, size_t n, const char *dir, size_t dn)
{
	return (dn == 1 || (n >= dn && memcmp(p, dir, dn) == 0 &&
	    (n == dn || p[dn] == '/')));
}

/* An absolute, normalised copy of a configured directory. */
static int
config_dir(const char *in, char *out, size_t *len)
{
	long n;

	if ((n = path_resolve(AT_FDCWD, in, out, PROBE_PATH_MAX, 0)) < 0)
		return (-1);
	if (n > 1 && out[n - 1] == '/')
		out[--n] = '\0';
	if (len != NULL)
		*len = n;
	return (0);
}

static int
config_env(char *out, size_t cap, const char *name, const char *value)
{
	size_t n = strlen(name), v = strlen(value);

	if (n + 1 + v + 1 > cap)
		return (-1);
	memcpy(out, name, n);
	out[n] = '=';
	memcpy(out + n + 1, value, v + 1);
	return (0);
}

static int
configure(void)
{
	struct probe_config *cf = &probe_conf;
	const char *root, *out, *limit;
	unsigned long long v;
	char *end;
	Dl_info dli;

	root = getenv("DAGZ_PROBE_ROOT");
	out = getenv("DAGZ_PROBE_OUT");
	limit = getenv("DAGZ_PROBE_LIMIT");
	if (root == NULL || *root == '\0' || out == NULL || *out == '\0')
		return (-1);
	if (config_dir(root, cf->root, &cf->rootlen) == -1 ||
	    config_dir(out, cf->out, &cf->outlen) == -1)
		return (-1);
	if (realpath(cf->root, cf->rootreal) == NULL)
		memcpy(cf->rootreal, cf->root, cf->rootlen + 1);
	cf->rootreallen = strlen(cf->rootreal);
	if (within(cf->out, cf->outlen, cf->root, cf->rootlen))
		cf->outrel = cf->out + cf->rootlen + (cf->rootlen > 1);
	else if (within(cf->out, cf->outlen, cf->rootreal, cf->rootreallen))
		cf->outrel = cf->out + cf->rootreallen +
		    (cf->rootreallen > 1);
	if (cf->outrel != NULL)
		cf->outrellen = strlen(cf->outrel);
	cf->limit = TRACE_LIMIT;
	if (limit != NULL && *limit >= '0' && *limit <= '9') {
		v = strtoull(limit, &end, 10);
		if (*end == '\0')
			cf->limit = v < TRACE_MIN ? TRACE_MIN :
			    v > SIZE_MAX / 4 ? SIZE_MAX / 4 : v;
	}
	if (config_env(cf->env_root, sizeof cf->env_root, "DAGZ_PROBE_ROOT",
	    root) == -1 ||
	    config_env(cf->env_out, sizeof cf->env_out, "DAGZ_PROBE_OUT",
	    out) == -1)
		return (-1);
	if (limit != NULL && config_env(cf->env_limit, sizeof cf->env_limit,
	    "DAGZ_PROBE_LIMIT", limit) == -1)
		cf->env_limit[0] = '\0';
	if (dladdr((void *)probe_dlsym, &dli) == 0 || dli.dli_fname == NULL ||
	    realpath(dli.dli_fname, cf->self) == NULL)
		return (-1);
	return (0);
}

/*
 * Runs when the library is loaded, before the program's own
 * constructors; glibc passes the program's arguments.
 */
__attribute__((constructor)) static void
probe_init(int argc, char **argv, char **envp)
{
	int how;
	struct jbuf jb;
	int saved = errno, cut;

	probe_fs_init();
	probe_exec_init();
	if (configure() == -1)
		goto out;
	st.pid = getpid();
	st.ppid = getppid();
	st.app = 1;
	pthread_atfork(fork_prepare, fork_parent, fork_child);
	on_exit(exit_handler, NULL);
	probe_conf.enabled = 1;
	if ((how = enter()) != -1) {
		jb_init(&jb, appbuf, sizeof appbuf);
		app_line(&jb, st.pid, st.ppid, argc > 0 ? argv : NULL, 1,
		    &cut);
		trace_append(appbuf, jb.len);
		leave(how);
		if (cut)
			probe_incomplete("argv too long to record", NULL, 0);
	}
	scan_maps();
out:
	errno = saved;
}
