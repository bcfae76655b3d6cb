/*
 * call.c - one call on one skbos fd: the socket references (an fd, or a
 * call in flight, holds one: like fget/fput), entering and leaving a call
 * (the stack lock, the reference, the errno of a -errno), and whether
 * Linux would restart the call after a signal.
 *
 *   interposed symbol -> call_enter(fd, &c): 1 libc's, -1 errno, 0 ours
 *     -> the socket layer ... -> call_end(&c, rc): unlock, -1/errno or rc
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>

#include "shim.h"
#include "call.h"
#include "instance.h"
#include "loop.h"
#include "sock.h"

/** sock_is_orphan - @sock belongs to a stack not this process's (after fork). */
bool sock_is_orphan(const struct socket *sock, struct skbos_instance *in)
{
	return !in || sock->stack != in->st;
}

void sock_get(struct socket *sock)
{
	sock->refcnt++;
}

/** sock_put - drop a reference (an fd or a call in flight); the last releases. */
void sock_put(struct socket *sock)
{
	if (--sock->refcnt > 0)
		return;
	if (unlikely(inherit_keep(sock)))
		return; /* another process holds it (fork): no FIN */
	sepoll_sock_release(sock);
	aux_free(sock);
	sock_release(sock);
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

long shim_ret(long rc)
{
	if (rc >= 0)
		return rc;
	errno = rc == -ENOIOCTLCMD ? ENOTTY : (int)-rc;
	return -1;
}

long call_end(struct call *c, long rc)
{
	sock_put(c->sock);
	shim_unlock(c->in);
	return shim_ret(rc);
}

/*
 * Linux restarts a blocking socket call interrupted by a handler installed
 * with SA_RESTART unless the socket has a timeout (sock_intr_errno).  Which
 * signal interrupted is not known here: restart only if every caught signal
 * that could have asked for SA_RESTART - not one this thread blocks, and not
 * a fault signal (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS: raised by
 * an instruction, never by a sleep; the sanitizers' and crash reporters'
 * handlers live there).
 */
bool shim_restartable(ktime_t timeo)
{
	struct sigaction sa;
	sigset_t blocked;

	if (timeo != KTIME_MAX)
		return false;
	if (pthread_sigmask(SIG_BLOCK, NULL, &blocked))
		sigemptyset(&blocked);
	for (int s = 1; s < NSIG; s++) {
		switch (s) {
		case SIGKILL: case SIGSTOP:
		case SIGSEGV: case SIGBUS: case SIGFPE: case SIGILL: case SIGTRAP: case SIGSYS:
			continue;
		}
		if (sigismember(&blocked, s) == 1 || sigaction(s, NULL, &sa))
			continue;
		if (sa.sa_handler == SIG_DFL || sa.sa_handler == SIG_IGN)
			continue;
		if (!(sa.sa_flags & SA_RESTART))
			return false;
	}
	return true;
}
