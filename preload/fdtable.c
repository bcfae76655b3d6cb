/*
 * fdtable.c - which fd is skbos's (DESIGN.md "fd space").
 *
 * Every skbos socket owns a real kernel fd, an eventfd placeholder, whose
 * number *is* the socket's fd: kernel and skbos fds never collide, select's
 * FD_SETSIZE holds, and dup/dup2/dup3/F_DUPFD duplicate the placeholder and
 * share one refcounted struct socket.  fd -> socket is one array load, so a
 * kernel fd costs the shim one load and a branch.
 *
 * The array covers every fd the kernel can hand out (fs.nr_open) and is
 * reserved, not committed: pages appear only where fds are used.
 *
 * An entry goes stale when its placeholder is closed behind the shim's back
 * (a raw close syscall, fclose of an fdopen'd socket, glibc-internal
 * closes).  So whenever the kernel hands out a number through an interposed
 * call, a leftover entry for it is dropped first (fd_fresh).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "shim.h"
#include "instance.h"
#include "loop.h"
#include "net.h"

uintptr_t *fdt;
int fdt_size;
int fdt_high;

/**
 * fdt_init - reserve the table (once, at load, when skbos is configured).
 * Return: 0 or -ENOMEM (then every fd stays the kernel's).
 */
int fdt_init(void)
{
	long n = 1 << 20;
	FILE *f = fopen("/proc/sys/fs/nr_open", "r");
	struct rlimit rl;
	void *p;

	if (f) {
		if (fscanf(f, "%ld", &n) != 1)
			n = 1 << 20;
		fclose(f);
	}
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_max != RLIM_INFINITY && (long)rl.rlim_max > n)
		n = (long)rl.rlim_max;
	if (n > (1 << 26))
		n = 1 << 26;
	p = mmap(NULL, (size_t)n * sizeof(uintptr_t), PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -ENOMEM;
	fdt = p;
	__atomic_store_n(&fdt_size, (int)n, __ATOMIC_RELEASE);
	return 0;
}

/** fdt_set - give @fd the entry @e (0: a kernel fd).  Stack lock held. */
void fdt_set(int fd, uintptr_t e)
{
	if ((unsigned int)fd >= (unsigned int)fdt_size)
		return;
	__atomic_store_n(&fdt[fd], e, __ATOMIC_RELEASE);
	if (e && fd >= fdt_high)
		__atomic_store_n(&fdt_high, fd + 1, __ATOMIC_RELAXED);
}

/**
 * fd_drop_entry - @fd no longer names what entry @e says (closed, dup2'd
 * over, or stale): clear it and drop its reference.  Stack lock of @in
 * held (or @in NULL: no instance, so the entry can only be an orphan).
 */
void fd_drop_entry(struct skbos_instance *in, int fd, uintptr_t e)
{
	struct socket *sock = fd_entry_sock(e);
	struct sepoll *ep = fd_entry_ep(e);

	fdt_set(fd, 0);
	if (sock && !sock_is_orphan(sock, in))
		sock_put(sock);
	else if (sock && !sock->stack)
		inherit_pending_put(sock); /* (SCM_RIGHTS, not taken over yet) */
	else if (ep)
		sepoll_put(ep);
}

/**
 * fd_fresh - the kernel just handed out @fd (open, pipe, socket, accept,
 * eventfd, ...): an entry left for that number is stale; drop it.
 */
void fd_fresh(int fd)
{
	struct skbos_instance *in;
	uintptr_t e;

	if (likely(!fd_peek(fd)))
		return;
	if (shim_inside) {
		/* skbos's own fd, lock possibly held: clear, leak the reference */
		fdt_set(fd, 0);
		return;
	}
	in = shim_instance();
	if (in)
		shim_lock(in);
	e = fd_peek(fd);
	if (e)
		fd_drop_entry(in, fd, e);
	if (in)
		shim_unlock(in);
}

/** fd_fresh_pair - fd_fresh for both fds of pipe/socketpair when @rc is 0. */
void fd_fresh_pair(const int fds[2], int rc)
{
	if (rc == 0) {
		fd_fresh(fds[0]);
		fd_fresh(fds[1]);
	}
}
