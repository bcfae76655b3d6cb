/*
 * call.c - one call on one skbos fd: entering and leaving it (the stack
 * lock, a reference on the socket: sock_get/sock_put of the socket layer,
 * like fget/fput), and what the shim keeps per socket going with its last
 * reference.
 *
 *   interposed symbol -> call_enter(fd, &c): 1 libc's, -1 errno, 0 ours
 *     -> the socket layer ... -> call_end(&c, rc): unlock, -1/errno or rc
 */
#include <errno.h>

#include "shim.h"
#include "call.h"
#include "instance.h"
#include "loop.h"
#include "net.h"

/** sock_is_orphan - @sock belongs to a stack not this process's (after fork). */
bool sock_is_orphan(const struct socket *sock, struct skbos_instance *in)
{
	return !in || sock->stack != in->st;
}

/*
 * The socket's last reference is going: its epoll items and records go
 * first, unless another process holds the connection (fork, inherit.c):
 * then it stays, and sends no FIN.  Return: true if it stays.
 */
static bool shim_sock_destruct(struct socket *sock)
{
	if (unlikely(inherit_keep(sock)))
		return true;
	sepoll_sock_release(sock);
	aux_free(sock);
	return false;
}

/** shim_sock_own - @sock (new: socket, accept, an adopted listener) is the shim's. */
void shim_sock_own(struct socket *sock)
{
	sock->destruct = shim_sock_destruct;
}

/*
 * Enter a call on @fd.  Return: 0 (locked, a reference on c->sock held),
 * 1 (not an skbos socket after all: use libc), -1 (errno set).
 */
int call_begin(int fd, struct call *c)
{
	struct skbos_instance *in;
	uintptr_t e;

	if (unlikely(shim_orphans))
		shim_adopt_fd(fd);
	in = shim_instance();

	if (!in) {
		e = fd_peek(fd);
		if (!e || (e & FDT_EPOLL))
			return 1;
		errno = EBADF; /* a socket of the parent's stack (fork) */
		return -1;
	}
	shim_lock(in);
	e = fd_peek(fd);
	if (!e || (e & FDT_EPOLL)) {
		loop_unlock(in->loop);
		shim_inside--;
		return 1;
	}
	c->sock = fd_entry_sock(e);
	if (sock_is_orphan(c->sock, in) || (unlikely(inherit_any_moved) && inherit_moved(c->sock))) {
		loop_unlock(in->loop);
		shim_inside--;
		errno = EBADF;
		return -1;
	}
	c->in = in;
	c->entry = e;
	c->inet6 = sock_is_inet6(c->sock);
	sock_get(c->sock);
	return 0;
}

long call_end(struct call *c, long rc)
{
	sock_put(c->sock);
	shim_unlock(c->in);
	return sock_sysret(rc);
}
