/*
 * fork.c - what fork does to the shim (DESIGN.md "fork/exec and many
 * processes").
 *
 * The child gets a fresh stack (started as lazily as any process's); the
 * parent's sockets are not its own: their fds stay open (so their numbers
 * are not reused).  A listening socket the child uses is made again in its
 * own stack, sharing the port (shim_adopt_fd); a connection it uses is
 * taken over from the parent (inherit.c); any other call on a parent's
 * socket fails with EBADF.  exec: the program's own skbos sockets
 * disappear, as if close-on-exec: their placeholder is always FD_CLOEXEC in
 * the kernel (the FD_CLOEXEC the program sees is kept in the fd table),
 * which also covers posix_spawn, system() and raw execve; a connection of
 * another process's stack (inherited, not taken) passes exec as the program
 * asked, for the new program to take over (inherit.c).
 */
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "shim.h"
#include "call.h"
#include "instance.h"
#include "devfd.h"
#include "loop.h"
#include "net.h"
#include "log.h"
#include "tcp.h" /* an inherited connection: ESTABLISHED or CLOSE_WAIT (inherit.c) */

unsigned int shim_fork_gen;

static void shim_atfork_prepare(void)
{
	struct skbos_instance *in = shim_instance();

	/* A consistent fd table for the child: no shim call half done. */
	if (in && !shim_inside) {
		loop_lock(in->loop);
		inherit_fork_prepare(in); /* connected sockets the child may take */
	}
}

static void shim_atfork_parent(void)
{
	struct skbos_instance *in = shim_instance();

	if (in && !shim_inside) {
		skbos_instance_fork_parent(in);
		loop_unlock(in->loop);
	}
}

static void shim_atfork_child(void)
{
	/* DESIGN.md "fork/exec": a fresh stack.  The parent's instance (its lock
	 * possibly held above, its thread gone) is forgotten, never touched;
	 * its kernel objects (packet socket, ring, eventfds) are closed.  A
	 * packet socket of its own is opened now, while it may still be
	 * privileged (devfd.c). */
	devfd_after_fork();
	inherit_fork_child();
	if (skbos_current_instance()) {
		size_t n = strlen(shim_cfg.pcap);

		/* The child's stack starts at its first socket, as in any process
		 * (a child that only execs or computes costs nothing), from what
		 * is opened here while the child may still be privileged (a
		 * prefork worker setuids soon after fork).  It shares the parent's
		 * address through the port table, so it lets in and answers
		 * nothing of the parent's.  Its own pcap file: SKBOS_PCAP.PID. */
		shim_inside++;
		skbos_forget_after_fork(&shim_cfg);
		shim_inside--;
		if (n)
			snprintf(shim_cfg.pcap + n, sizeof(shim_cfg.pcap) - n, ".%d", (int)getpid());
		shim_fork_gen++;
		shim_orphans = true;
	}
	loop_forget_after_fork(); /* this thread's wait eventfd is the parent's */
}

/** shim_fork_init - the fork handlers, registered once at load. */
void shim_fork_init(void)
{
	pthread_atfork(shim_atfork_prepare, shim_atfork_parent, shim_atfork_child);
}

/* ---- inherited listening sockets ---------------------------------------------------- */

bool shim_orphans; /* a forked child: the fd table may hold the parent's sockets */

/*
 * adopt_listener - in a child of fork, the parent's listening socket @old
 * (the parent's memory, frozen in ours: read, never written) made again in
 * our own stack: the options recorded, the IPv6 facade mark, O_NONBLOCK,
 * then a bind to the same address and port as a member of the port's
 * listener group, and listen with the same backlog.  Every fd naming @old
 * names the new socket from now on.  Stack lock held.  Return: 0 or -errno.
 */
/*
 * What the shim keeps of @old (the options recorded, the IPv6 facade mark)
 * for @sock, made from it in this process: the options set again on
 * @sock when @apply (a listener made anew), only recorded otherwise (a
 * connection taken over carries its state).  Return: 0 or -errno.
 */
static int aux_inherit(struct socket *old, struct socket *sock, bool apply)
{
	struct sockaux *a = aux_find(old, false);

	for (struct optrec *o = a ? a->opts : NULL; o; o = o->next) {
		if (!apply || o->level == IPPROTO_IPV6 ||
		    !sock_setsockopt(sock, o->level, o->name, o->val, o->len))
			aux_record_opt(sock, o->level, o->name, o->val, o->len);
	}
	return a && a->inet6 ? sock_set_inet6(sock) : 0;
}

/** shim_inherit_aux - aux_inherit for a connection taken over (inherit.c). */
int shim_inherit_aux(struct socket *old, struct socket *sock)
{
	return aux_inherit(old, sock, false);
}

static int adopt_listener(struct skbos_instance *in, struct socket *old)
{
	struct sockaddr_storage name;
	struct socket *sock;
	int rc = __sock_getname(old, &name, 0); /* the address and port it listens on */

	if (rc < 0)
		return rc;
	/* (an AF_INET6 listener of skbos's own, inet6_takeover, stays AF_INET6) */
	rc = sock_create(in->st, name.ss_family, SOCK_STREAM, sock_protocol(old), &sock);
	if (rc)
		return rc;
	shim_sock_own(sock);
	sock_setfl(sock, sock_getfl(old));
	rc = aux_inherit(old, sock, true);
	if (rc)
		goto fail;
	sock_port_join(in->st, sock_local_port(old));
	rc = sock_bind(sock, (const struct sockaddr *)&name,
		       name.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
	if (!rc)
		rc = sock_listen(sock, sock_backlog(old));
	if (rc)
		goto fail;
	for (int f = 0; f < fdt_high; f++) {
		uintptr_t e = fd_peek(f);

		if (e && fd_entry_sock(e) == old) {
			fdt_set(f, (uintptr_t)sock | (e & FDT_TAGS));
			sock_get(sock);
		}
	}
	sock_put(sock); /* sock_create's: the fds hold it now */
	return 0;
fail:
	sock_put(sock);
	return rc;
}

/**
 * shim_adopt_fd - @fd is about to be used: if it is a listening socket of
 * the parent's (a forked child: nginx and apache workers, gunicorn's,
 * socketserver's), make it this process's own, sharing the port with the
 * parent and the other children; if it is a connection of another
 * process's stack (inherited by fork: ForkingTCPServer, socat's fork,
 * sshd's and postgres's children; or received by SCM_RIGHTS or across
 * exec), take it over (inherit.c) (DESIGN.md "fork/exec and many
 * processes").  Anything else of the parent's stays EBADF.
 */
void shim_adopt_fd(int fd)
{
	struct skbos_instance *in = shim_instance();
	struct socket *sock;
	uintptr_t e;
	int err, rc;
	bool conn;

	if (fd < 0 || fd >= fdt_size || !(e = fd_peek(fd)) || (e & FDT_EPOLL))
		return;
	sock = fd_entry_sock(e);
	if (!sock_is_orphan(sock, in) || sock->type != SOCK_STREAM)
		return;
	/* a connection: inherited (its state frozen in our copy of the
	 * parent's memory), or received (no sk: pending, inherit.c) */
	conn = !sock->sk || sock->sk->sk_state == TCP_ESTABLISHED ||
	       sock->sk->sk_state == TCP_CLOSE_WAIT;
	if (!conn && !sock_is_listening(sock))
		return;
	in = shim_start(&err);
	if (!in)
		return;
	shim_lock(in);
	e = fd_peek(fd);
	if (e && fd_entry_sock(e) == sock && conn)
		inherit_adopt(in, fd, sock); /* (it says why if it cannot) */
	else if (e && fd_entry_sock(e) == sock && (rc = adopt_listener(in, sock)))
		skb_log_at(shim_cfg.log_level, LOG_WARN, "fd %d: the inherited listener on port %u cannot be made here: %s",
			fd, sock_local_port(sock), strerror(-rc));
	shim_unlock(in);
}

/* ---- fork, vfork, daemon ------------------------------------------------------------ */

SHIM_EXPORT pid_t fork(void)
{
	shim_ensure();
	return real.fork(); /* the pthread_atfork handlers do the work */
}

/*
 * vfork's child would share our memory: a close() of an skbos fd there
 * would free the parent's socket.  So vfork is a fork (POSIX allows it).
 */
SHIM_EXPORT pid_t vfork(void)
{
	shim_ensure();
	return real.fork();
}

SHIM_EXPORT int daemon(int nochdir, int noclose)
{
	shim_ensure();
	return real.daemon(nochdir, noclose); /* glibc's fork runs the atfork handlers */
}
