/*
 * preload.c - libskbos-preload.so: unmodified programs' socket calls served
 * by skbos (DESIGN.md "Sockets from the outside: the shim").
 *
 *   socket(AF_INET, SOCK_STREAM|SOCK_DGRAM|SOCK_RAW) -> sock_create + an eventfd placeholder
 *   socket(AF_INET6, SOCK_STREAM|SOCK_DGRAM) -> the same, marked an IPv6 facade:
 *	IPv4 through IPv4-mapped addresses, translated at the edge (inet6.c);
 *	a real IPv6 address or IPV6_V6ONLY hands it to the kernel
 *   bind/connect/sendto to a route skbos does not have -> handover to the kernel
 *   recv/send/... on an skbos fd -> sock_recvmsg/sock_sendmsg (blocking in
 *	loop.c's loop_wait, where the waiting thread drives the stack)
 *   everything else (AF_UNIX, AF_INET6 raw, netlink, files, pipes ...) -> libc
 *
 * Every real function is resolved once with dlsym(RTLD_NEXT).  The start is
 * lazy: the environment is read and validated when the library loads, the
 * stack starts at the first socket it must serve, so a shell or make run
 * under skbos-run never opens an interface of its own.
 *
 * fork: the child gets a fresh stack (started as lazily); the parent's
 * sockets are not its own: their fds stay open (so their numbers are not
 * reused) and every call on them fails with EBADF until they are closed.
 * exec: skbos sockets disappear, as if close-on-exec: the placeholder is
 * always FD_CLOEXEC in the kernel (the FD_CLOEXEC the program sees is kept
 * in the fd table), which also covers posix_spawn, system() and raw execve.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <unistd.h>
#include <linux/close_range.h>

#include "shim.h"
#include "inet6.h"
#include "ifaddrs.h"
#include <linux/netlink.h>
#include "instance.h"
#include "devfd.h"
#include "inetdevice.h"
#include "ip.h"
#include "ip_cmsg.h"
#include "loop.h"
#include "route.h"
#include "sock.h"
#include "stack.h"
#include "tcp.h"
#include "log.h"
#include "portshare.h"


struct shim_real real;
bool shim_resolved;
__thread int shim_inside __attribute__((tls_model("initial-exec")));
bool shim_enabled;
struct skbos_config shim_cfg;
unsigned int shim_fork_gen;

/* ---- resolution, load, fork ------------------------------------------------ */

#define RESOLVE(name) (*(void **)&real.name = dlsym(RTLD_NEXT, #name))

/** shim_resolve - every real function, once (also before our constructor ran). */
void shim_resolve(void)
{
	RESOLVE(socket); RESOLVE(socketpair); RESOLVE(bind); RESOLVE(listen);
	RESOLVE(accept); RESOLVE(accept4); RESOLVE(connect); RESOLVE(shutdown);
	RESOLVE(close); RESOLVE(read); RESOLVE(readv); RESOLVE(pread); RESOLVE(pread64);
	RESOLVE(write); RESOLVE(writev); RESOLVE(pwrite); RESOLVE(pwrite64);
	RESOLVE(send); RESOLVE(sendto); RESOLVE(sendmsg); RESOLVE(sendmmsg);
	RESOLVE(recv); RESOLVE(recvfrom); RESOLVE(recvmsg); RESOLVE(recvmmsg);
	RESOLVE(sendfile); RESOLVE(sendfile64); RESOLVE(splice);
	RESOLVE(getsockopt); RESOLVE(setsockopt); RESOLVE(getsockname); RESOLVE(getpeername);
	RESOLVE(fcntl); RESOLVE(fcntl64); RESOLVE(ioctl); RESOLVE(dup); RESOLVE(dup2);
	RESOLVE(dup3); RESOLVE(poll); RESOLVE(ppoll); RESOLVE(select); RESOLVE(pselect);
	RESOLVE(epoll_create); RESOLVE(epoll_create1); RESOLVE(epoll_ctl);
	RESOLVE(epoll_wait); RESOLVE(epoll_pwait); RESOLVE(epoll_pwait2);
	RESOLVE(close_range); RESOLVE(closefrom); RESOLVE(fork); RESOLVE(daemon);
	RESOLVE(__read_chk); RESOLVE(__recv_chk); RESOLVE(__recvfrom_chk);
	RESOLVE(__poll_chk); RESOLVE(__ppoll_chk);
	RESOLVE(open); RESOLVE(open64); RESOLVE(openat); RESOLVE(openat64); RESOLVE(creat);
	RESOLVE(pipe); RESOLVE(pipe2); RESOLVE(eventfd); RESOLVE(timerfd_create);
	RESOLVE(signalfd); RESOLVE(memfd_create); RESOLVE(inotify_init); RESOLVE(inotify_init1);
	if (!real.fcntl64)
		real.fcntl64 = real.fcntl;
	__atomic_store_n(&shim_resolved, true, __ATOMIC_RELEASE);
}

static void shim_thread_hook(void)
{
	shim_inside = 1; /* the stack thread is skbos: nothing it calls is interposed */
}

static void shim_atfork_prepare(void)
{
	struct skbos_instance *in = shim_instance();

	/* A consistent fd table for the child: no shim call half done. */
	if (in && !shim_inside)
		loop_lock(in->loop);
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
	shim_thread_efd_reset();
}

__attribute__((constructor)) static void shim_load(void)
{
	char err[256];

	shim_ensure();
	shim_inside++;
	if (skbos_config_from_env(&shim_cfg, err, sizeof(err))) {
		/* Never a silent fallback to the kernel (DESIGN.md "Configuration"). */
		fprintf(stderr, "skbos: %s (the program was not started)\n", err);
		_exit(1);
	}
	shim_cfg.thread_init = shim_thread_hook;
	shim_enabled = shim_cfg.have_if || shim_cfg.loopback;
	/* Before main can drop privileges (memcached -u, nginx's user). */
	if (shim_cfg.have_if)
		devfd_preopen();
	if (shim_enabled && fdt_init()) {
		fprintf(stderr, "skbos: cannot reserve the fd table (the program was not started)\n");
		_exit(1);
	}
	pthread_atfork(shim_atfork_prepare, shim_atfork_parent, shim_atfork_child);
	shim_inside--;
}

/*
 * exit(3): the kernel would close the process's sockets and go on
 * delivering what they hold; skbos lives in the process, so it closes them
 * here (a FIN, or a RST where data was left unread) and waits, bounded,
 * until TCP has delivered everything before the exit goes on.
 */
__attribute__((destructor)) static void shim_unload(void)
{
	struct skbos_instance *in = shim_instance();

	if (!in || shim_inside)
		return;
	shim_lock(in);
	for (int fd = 0; fd < fdt_size; fd++) {
		uintptr_t e = fd_peek(fd);

		if (e && fd_entry_sock(e))
			fd_drop_entry(in, fd, e);
	}
	shim_unlock(in);
	skbos_instance_exiting(in);
	skbos_instance_drain(in, SKBOS_EXIT_DRAIN_MS);
	skbos_instance_leave(in);
}

/* ---- the instance and its lock -------------------------------------------------- */

struct skbos_instance *shim_instance(void)
{
	return skbos_current_instance();
}

/**
 * shim_start - the running instance, started now if this is the first socket
 * skbos serves.  Return: it, or NULL with *@err (the reason printed once).
 */
struct skbos_instance *shim_start(int *err)
{
	static bool reported;
	struct skbos_instance *in = skbos_current_instance();
	char msg[256];
	int rc;

	if (in)
		return in;
	shim_inside++;
	rc = skbos_init_config(&shim_cfg, msg, sizeof(msg));
	shim_inside--;
	if (rc) {
		if (!reported)
			fprintf(stderr, "skbos: %s\n", msg);
		reported = true;
		*err = -rc;
		return NULL;
	}
	return skbos_current_instance();
}

void shim_lock(struct skbos_instance *in)
{
	shim_inside++;
	loop_lock(in->loop);
}

void shim_unlock(struct skbos_instance *in)
{
	loop_after_call(in->loop);
	loop_unlock(in->loop);
	shim_inside--;
}

/* ---- socket references and what the shim keeps per socket --------------------- */

/* A setsockopt that succeeded, replayed on the kernel socket of a handover. */
struct optrec {
	struct optrec *next;
	int level, name;
	socklen_t len;
	unsigned char val[];
};

struct sockaux {
	struct sockaux *next;
	struct socket *sock;
	struct optrec *opts, **tail;
	bool inet6; /* an IPv6 facade: the program made it AF_INET6 */
};

#define AUX_BUCKETS 256
static struct sockaux *aux_table[AUX_BUCKETS];
static unsigned int nr_facades; /* none: no call looks a socket up */

static struct sockaux **aux_slot(const struct socket *sock)
{
	uintptr_t h = (uintptr_t)sock;

	return &aux_table[(h >> 4 ^ h >> 12) % AUX_BUCKETS];
}

static struct sockaux *aux_find(const struct socket *sock, bool create)
{
	struct sockaux **slot = aux_slot(sock), *a;

	for (a = *slot; a; a = a->next)
		if (a->sock == sock)
			return a;
	if (!create || !(a = calloc(1, sizeof(*a))))
		return NULL;
	a->sock = (struct socket *)sock;
	a->tail = &a->opts;
	a->next = *slot;
	*slot = a;
	return a;
}

static void aux_free(const struct socket *sock)
{
	struct sockaux **p = aux_slot(sock), *a;

	for (; *p; p = &(*p)->next) {
		if ((*p)->sock != sock)
			continue;
		a = *p;
		*p = a->next;
		nr_facades -= a->inet6;
		while (a->opts) {
			struct optrec *o = a->opts;

			a->opts = o->next;
			free(o);
		}
		free(a);
		return;
	}
}

static void aux_record_opt(struct socket *sock, int level, int name, const void *val, socklen_t len)
{
	struct sockaux *a = aux_find(sock, true);
	struct optrec *o;

	if (!a || len > 4096 || !(o = malloc(sizeof(*o) + len)))
		return;
	o->next = NULL;
	o->level = level;
	o->name = name;
	o->len = len;
	if (len)
		memcpy(o->val, val, len);
	*a->tail = o;
	a->tail = &o->next;
}

/* Mark @sock an IPv6 facade.  Return: 0 or -ENOMEM. */
static int sock_set_inet6(struct socket *sock)
{
	struct sockaux *a = aux_find(sock, true);

	if (!a)
		return -ENOMEM;
	nr_facades += !a->inet6;
	a->inet6 = true;
	return 0;
}

static bool sock_is_inet6(const struct socket *sock)
{
	const struct sockaux *a;

	if (likely(!nr_facades))
		return false;
	a = aux_find(sock, false);
	return a && a->inet6;
}

/*
 * The int value of the last successful setsockopt(@level, @name), or NULL.
 * A shorter value reads as 0, as do_ipv6_setsockopt reads it.
 */
static const int *aux_last_opt(const struct socket *sock, int level, int name)
{
	static const int zero;
	const struct sockaux *a = aux_find(sock, false);
	const int *v = NULL;

	for (const struct optrec *o = a ? a->opts : NULL; o; o = o->next)
		if (o->level == level && o->name == name)
			v = o->len >= sizeof(int) ? (const int *)(const void *)o->val : &zero;
	return v;
}

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
	sepoll_sock_release(sock);
	aux_free(sock);
	sock_release(sock);
}

/* ---- one call on one skbos fd ---------------------------------------------------- */

struct call {
	struct skbos_instance *in;
	struct socket *sock;
	uintptr_t entry;
	bool inet6; /* an IPv6 facade (sock_set_inet6) */
};

/*
 * Enter a call on @fd.  Return: 0 (locked, a reference on c->sock held),
 * 1 (not an skbos socket after all: use libc), -1 (errno set).
 */
static int call_begin(int fd, struct call *c)
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
	if (sock_is_orphan(c->sock, in)) {
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

static long shim_ret(long rc)
{
	if (rc >= 0)
		return rc;
	errno = rc == -ENOIOCTLCMD ? ENOTTY : (int)-rc;
	return -1;
}

static long call_end(struct call *c, long rc)
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
static bool shim_restartable(ktime_t timeo)
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

/* ---- handover to the kernel (DESIGN.md "handover") ------------------------------- */

/* Does skbos route @daddr through one of its devices? */
static bool route_is_skbos(struct skbos_instance *in, __be32 daddr)
{
	if (!daddr || ipv4_is_loopback(daddr))
		return in->lo != NULL;
	return fib_lookup(in->st, daddr, 0) != NULL;
}

static bool bind_is_skbos(struct skbos_instance *in, __be32 addr)
{
	unsigned int type;

	if (!addr)
		return true;
	if (ipv4_is_loopback(addr))
		return in->lo != NULL;
	type = inet_addr_type(in->st, addr);
	return type == RTN_LOCAL || type == RTN_MULTICAST || type == RTN_BROADCAST;
}

/* Only a socket that has not committed to skbos may move. */
static bool sock_movable(const struct socket *sock)
{
	const struct sock *sk = sock->sk;

	return sk && sk->sk_state == TCP_CLOSE && !sk->sk_rcv_saddr;
}

/*
 * handover - make every fd of @sock a kernel socket of the same type: the
 * options recorded so far are replayed, an explicitly bound port is bound
 * again (on any address), epoll registrations move to the kernel, and the
 * kernel socket is dup3'd over each fd number.  Stack lock held, a call's
 * reference on @sock held (the skbos socket is released when it drops).
 * Return: 0 or -errno.
 */
static int handover(struct call *c)
{
	struct socket *sock = c->sock;
	struct sock *sk = sock->sk;
	struct sockaux *a = aux_find(sock, false);
	int type = sock->type | SOCK_CLOEXEC | ((sock->file_flags & O_NONBLOCK) ? SOCK_NONBLOCK : 0);
	int kfd = real.socket(c->inet6 ? AF_INET6 : AF_INET, type, sk->sk_protocol);

	if (kfd < 0)
		return -errno;
	/* IPPROTO_IPV6 ones too: a facade becomes the AF_INET6 socket it was */
	for (struct optrec *o = a ? a->opts : NULL; o; o = o->next)
		real.setsockopt(kfd, o->level, o->name, o->val, o->len);
	if (sk->sk_num && (sk->sk_userlocks & SOCK_BINDPORT_LOCK) && sock->type != SOCK_RAW) {
		struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(sk->sk_num) };
		struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = sin.sin_port };
		const void *any = c->inet6 ? (const void *)&sin6 : (const void *)&sin;

		if (real.bind(kfd, any, c->inet6 ? sizeof(sin6) : sizeof(sin))) {
			int err = errno;

			real.close(kfd);
			return -err;
		}
	}
	for (int f = 0; f < fdt_high_load(); f++) {
		uintptr_t e = fd_peek(f);

		if (!e || fd_entry_sock(e) != sock)
			continue;
		if (real.dup3(kfd, f, (e & FDT_CLOEXEC) ? O_CLOEXEC : 0) < 0)
			continue;
		sepoll_handover(sock, f);
		fdt_set(f, 0);
		sock->refcnt--;
	}
	real.close(kfd);
	return 0;
}

/* ---- inherited listening sockets (fork) -------------------------------------------- */

bool shim_orphans; /* a forked child: the fd table may hold the parent's sockets */

/*
 * adopt_listener - in a child of fork, the parent's listening socket @old
 * (the parent's memory, frozen in ours: read, never written) made again in
 * our own stack: the options recorded, the IPv6 facade mark, O_NONBLOCK,
 * then a bind to the same address and port as a member of the port's
 * listener group, and listen with the same backlog.  Every fd naming @old
 * names the new socket from now on.  Stack lock held.  Return: 0 or -errno.
 */
static int adopt_listener(struct skbos_instance *in, struct socket *old)
{
	struct sock *osk = old->sk;
	struct sockaux *a = aux_find(old, false);
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(osk->sk_num),
				   .sin_addr.s_addr = osk->sk_rcv_saddr };
	struct socket *sock;
	int rc, refs = 0;

	rc = sock_create(in->st, AF_INET, SOCK_STREAM, osk->sk_protocol, &sock);
	if (rc)
		return rc;
	sock->file_flags = old->file_flags;
	for (struct optrec *o = a ? a->opts : NULL; o; o = o->next) {
		if (o->level == IPPROTO_IPV6 ||
		    !sock->ops->setsockopt(sock, o->level, o->name, o->val, o->len))
			aux_record_opt(sock, o->level, o->name, o->val, o->len);
	}
	if (a && a->inet6 && (rc = sock_set_inet6(sock)))
		goto fail;
	stack_port_join(in->st, osk->sk_num);
	rc = sock->ops->bind(sock, (const struct sockaddr *)&sin, sizeof(sin));
	if (!rc)
		rc = sock->ops->listen(sock, tcp_sk(osk)->backlog);
	if (rc)
		goto fail;
	for (int f = 0; f < fdt_high; f++) {
		uintptr_t e = fd_peek(f);

		if (e && fd_entry_sock(e) == old) {
			fdt_set(f, (uintptr_t)sock | (e & FDT_TAGS));
			refs++;
		}
	}
	sock->refcnt = refs;
	return 0;
fail:
	sock_put(sock);
	return rc;
}

/**
 * shim_adopt_fd - @fd is about to be used: if it is a listening socket of
 * the parent's (a forked child: nginx and apache workers, gunicorn's,
 * socketserver's), make it this process's own, sharing the port with the
 * parent and the other children (DESIGN.md "fork/exec and many
 * processes").  Anything else of the parent's stays EBADF.
 */
void shim_adopt_fd(int fd)
{
	struct skbos_instance *in = shim_instance();
	struct socket *sock;
	uintptr_t e;
	int err, rc;

	if (fd < 0 || fd >= fdt_size || !(e = fd_peek(fd)) || (e & FDT_EPOLL))
		return;
	sock = fd_entry_sock(e);
	if (!sock_is_orphan(sock, in) || sock->type != SOCK_STREAM || !sock->sk ||
	    sock->sk->sk_state != TCP_LISTEN)
		return;
	in = shim_start(&err);
	if (!in)
		return;
	shim_lock(in);
	e = fd_peek(fd);
	if (e && fd_entry_sock(e) == sock && (rc = adopt_listener(in, sock)))
		skb_log(in->st, LOG_WARN, "fd %d: the inherited listener on port %u cannot be made here: %s",
			fd, sock->sk->sk_num, strerror(-rc));
	shim_unlock(in);
}

/* ---- socket, bind, connect, listen, accept ------------------------------------------ */

static int kernel_fd(int fd)
{
	if (fd >= 0)
		fd_fresh(fd);
	return fd;
}

/*
 * net.ipv6.bindv6only, the IPV6_V6ONLY a new AF_INET6 socket starts with
 * (ipv6(7)), read once.  Return: 0 or 1, or -1 with no IPv6 in the kernel
 * (socket(AF_INET6) is then the kernel's EAFNOSUPPORT, not skbos's to give).
 */
static int bindv6only(void)
{
	static int cached = -2;
	char c = 0;
	int v = __atomic_load_n(&cached, __ATOMIC_RELAXED), fd;

	if (v != -2)
		return v;
	fd = real.open("/proc/sys/net/ipv6/bindv6only", O_RDONLY | O_CLOEXEC);
	v = fd >= 0 && real.read(fd, &c, 1) == 1 ? c == '1' : -1;
	if (fd >= 0)
		real.close(fd);
	__atomic_store_n(&cached, v, __ATOMIC_RELAXED);
	return v;
}

/*
 * An AF_INET6 TCP or UDP socket that may carry IPv4 (IPV6_V6ONLY 0) is
 * served as an IPv6 facade; raw, ICMPv6, SCTP ... and v6-only sockets are
 * the kernel's.
 */
static bool serves_inet6(int type, int protocol)
{
	if (type == SOCK_STREAM && protocol && protocol != IPPROTO_TCP)
		return false;
	if (type == SOCK_DGRAM && protocol && protocol != IPPROTO_UDP)
		return false;
	return (type == SOCK_STREAM || type == SOCK_DGRAM) && bindv6only() == 0;
}

static bool serves(int domain, int type, int protocol)
{
	int t = type & SOCK_TYPE_MASK_SKBOS;

	if (shim_inside || !shim_enabled)
		return false;
	if (domain == AF_INET6)
		return serves_inet6(t, protocol);
	if (domain != AF_INET)
		return false;
	return t == SOCK_DGRAM || t == SOCK_RAW || t == SOCK_STREAM;
}

/* A new skbos fd for @sock: its placeholder eventfd.  Stack lock held. */
static int sock_install(struct socket *sock, bool cloexec)
{
	int fd = real.eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	uintptr_t old;

	if (fd < 0)
		return -errno;
	if (fd >= fdt_size) {
		real.close(fd);
		return -EMFILE;
	}
	old = fd_peek(fd);
	if (old)
		fd_drop_entry(shim_instance(), fd, old);
	fdt_set(fd, (uintptr_t)sock | (cloexec ? FDT_CLOEXEC : 0));
	return fd;
}

SHIM_EXPORT int socket(int domain, int type, int protocol)
{
	struct skbos_instance *in;
	struct socket *sock = NULL;
	int err = 0, fd;

	shim_ensure();
	if (!serves(domain, type, protocol)) {
		fd = kernel_fd(real.socket(domain, type, protocol));
		if (domain == AF_NETLINK && protocol == NETLINK_ROUTE && !shim_inside)
			nl_route_mark(fd); /* its address dumps show skbos's address */
		return fd;
	}
	in = shim_start(&err);
	if (!in) {
		errno = err;
		return -1;
	}
	shim_lock(in);
	err = sock_create(in->st, AF_INET, type, protocol, &sock);
	if (err == -ESOCKTNOSUPPORT || err == -EPROTONOSUPPORT) {
		/* not a socket skbos has (ICMP "ping" sockets, SCTP ...): the kernel's */
		shim_unlock(in);
		return kernel_fd(real.socket(domain, type, protocol));
	}
	fd = err;
	if (!err && domain == AF_INET6)
		fd = sock_set_inet6(sock);
	if (!fd)
		fd = sock_install(sock, type & SOCK_CLOEXEC);
	if (fd < 0 && sock)
		sock_put(sock); /* the last reference: the facade mark goes too */
	shim_unlock(in);
	return (int)shim_ret(fd);
}

SHIM_EXPORT int socketpair(int domain, int type, int protocol, int sv[2])
{
	int rc;

	shim_ensure();
	rc = real.socketpair(domain, type, protocol, sv);
	fd_fresh_pair(sv, rc);
	return rc;
}

/*
 * A facade's sockaddr_in6 as IPv4 in @sin, with the checks inet6_bind and
 * tcp_v6_connect make first.  Return: its enum inet6_kind, or -errno.
 */
static int facade_addr(const struct sockaddr *addr, socklen_t len, struct sockaddr_in *sin)
{
	struct sockaddr_in6 s6 = { 0 };

	if (len < SIN6_LEN_RFC2133)
		return -EINVAL;
	if (addr->sa_family != AF_INET6)
		return -EAFNOSUPPORT;
	memcpy(&s6, addr, len < sizeof(s6) ? len : sizeof(s6));
	return inet6_to_inet(&s6, sin);
}

/* The call goes to the kernel: @c's socket is handed over, or -errno. */
static int call_handover(struct call *c)
{
	int rc = handover(c);

	call_end(c, 0);
	return rc;
}

SHIM_EXPORT int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	const struct sockaddr_in *sin = (const void *)addr;
	struct sockaddr_in sin4;
	struct call c;
	long rc;

	shim_ensure();
	if (likely(!fd_peek(fd)) || shim_inside || (rc = call_begin(fd, &c)) > 0)
		return real.bind(fd, addr, len);
	if (rc < 0)
		return -1;
	if (!addr)
		return (int)call_end(&c, -EFAULT);
	if (len > sizeof(struct sockaddr_storage))
		return (int)call_end(&c, -EINVAL);
	if (c.inet6) {
		rc = facade_addr(addr, len, &sin4);
		if (rc < 0)
			return (int)call_end(&c, rc);
		/* ::1, a global or link-local IPv6 address: only the kernel has it */
		if (rc == INET6_OTHER && !(sock_movable(c.sock) && !c.sock->sk->sk_num))
			return (int)call_end(&c, -EINVAL); /* bound already, as inet6_bind */
		if (rc == INET6_OTHER)
			return (rc = call_handover(&c)) ? (int)shim_ret(rc) : real.bind(fd, addr, len);
		sin = &sin4;
	}
	if (len >= sizeof(*sin) && sin->sin_family == AF_INET && sock_movable(c.sock) &&
	    !c.sock->sk->sk_num && !bind_is_skbos(c.in, sin->sin_addr.s_addr))
		return (rc = call_handover(&c)) ? (int)shim_ret(rc) : real.bind(fd, addr, len);
	if (c.inet6)
		rc = c.sock->ops->bind(c.sock, (const struct sockaddr *)sin, sizeof(*sin));
	else
		rc = c.sock->ops->bind(c.sock, addr, (int)len);
	return (int)call_end(&c, rc);
}

/*
 * connect(2) on a facade: @*addr/@*len become the IPv4 address skbos
 * connects to.  AF_UNSPEC (disconnect) and, for UDP, a plain sockaddr_in
 * pass as they are (__ip6_datagram_connect takes both).
 * Return: 0, 1 (a real IPv6 peer: the kernel's), or -errno.
 */
static int facade_connect_addr(struct call *c, const struct sockaddr **addr, socklen_t *len,
			       struct sockaddr_in *sin)
{
	int rc;

	if (*len >= sizeof(sa_family_t) && ((*addr)->sa_family == AF_UNSPEC ||
	    ((*addr)->sa_family == AF_INET && c->sock->type == SOCK_DGRAM)))
		return 0;
	rc = facade_addr(*addr, *len, sin);
	if (rc < 0)
		return rc;
	/* tcp_v6_connect: :: means the loopback ::1, the kernel's too */
	if (rc != INET6_MAPPED)
		return 1;
	*addr = (const struct sockaddr *)sin;
	*len = sizeof(*sin);
	return 0;
}

SHIM_EXPORT int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	const struct sockaddr *uaddr = addr;
	const struct sockaddr_in *sin;
	struct sockaddr_in sin4;
	socklen_t ulen = len;
	struct call c;
	long rc;

	shim_ensure();
	if (likely(!fd_peek(fd)) || shim_inside || (rc = call_begin(fd, &c)) > 0)
		return real.connect(fd, addr, len);
	if (rc < 0)
		return -1;
	if (!addr)
		return (int)call_end(&c, -EFAULT);
	if (len > sizeof(struct sockaddr_storage))
		return (int)call_end(&c, -EINVAL);
	if (c.inet6 && (rc = facade_connect_addr(&c, &addr, &len, &sin4)) != 0) {
		if (rc < 0)
			return (int)call_end(&c, rc);
		/* committed to IPv4: TCP answers for its state first (EISCONN,
		 * EALREADY) and then, as Linux for a v4-mapped source, with
		 * EAFNOSUPPORT (tcp_v4_connect of a sockaddr_in6); UDP too */
		if (!sock_movable(c.sock) && c.sock->type == SOCK_STREAM)
			return (int)call_end(&c, c.sock->ops->connect(c.sock, uaddr, (int)ulen,
								    (int)c.sock->file_flags));
		if (!sock_movable(c.sock))
			return (int)call_end(&c, -EAFNOSUPPORT);
		return (rc = call_handover(&c)) ? (int)shim_ret(rc) : real.connect(fd, uaddr, ulen);
	}
	sin = (const void *)addr;
	if (len >= sizeof(*sin) && sin->sin_family == AF_INET && sock_movable(c.sock) &&
	    !route_is_skbos(c.in, sin->sin_addr.s_addr))
		return (rc = call_handover(&c)) ? (int)shim_ret(rc) : real.connect(fd, uaddr, ulen);
	rc = c.sock->ops->connect(c.sock, addr, (int)len, (int)c.sock->file_flags);
	return (int)call_end(&c, rc);
}

SHIM_EXPORT int listen(int fd, int backlog)
{
	struct call c;
	long rc;

	shim_ensure();
	if (likely(!fd_peek(fd)) || shim_inside || (rc = call_begin(fd, &c)) > 0)
		return real.listen(fd, backlog);
	if (rc < 0)
		return -1;
	rc = c.sock->ops->listen(c.sock, backlog);
	return (int)call_end(&c, rc);
}

static int shim_getname(struct call *c, struct sockaddr *addr, socklen_t *len, int peer)
{
	struct sockaddr_storage ss;
	int rc;

	if (!addr || !len)
		return -EFAULT;
	if ((int)*len < 0)
		return -EINVAL;
	rc = c->sock->ops->getname(c->sock, (struct sockaddr *)&ss, peer);
	if (rc >= 0 && c->inet6) {
		*len = inet6_from_inet((const struct sockaddr_in *)&ss, addr, *len);
		rc = 0;
	} else if (rc >= 0) {
		memcpy(addr, &ss, *len < (socklen_t)rc ? *len : (socklen_t)rc);
		*len = (socklen_t)rc;
		rc = 0;
	}
	return rc;
}

/* accept on an skbos listener: sock_accept makes the new struct socket. */
static int shim_accept(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	struct socket *newsock;
	struct call c;
	long rc;

	if ((rc = call_begin(fd, &c)) > 0)
		return kernel_fd(real.accept4(fd, addr, len, flags));
	if (rc < 0)
		return -1;
	if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
		return (int)call_end(&c, -EINVAL);
	if (addr && !len)
		return (int)call_end(&c, -EFAULT);
	for (;;) {
		/* only the listener's O_NONBLOCK decides whether to wait
		 * (SOCK_NONBLOCK has the same value: it is applied after) */
		rc = sock_accept(c.sock, &newsock, (int)(c.sock->file_flags & O_NONBLOCK));
		if (rc != -EINTR || (c.sock->file_flags & O_NONBLOCK) ||
		    !shim_restartable(c.sock->sk ? c.sock->sk->sk_rcvtimeo : 0))
			break;
	}
	if (rc < 0)
		return (int)call_end(&c, rc);
	newsock->file_flags = (flags & SOCK_NONBLOCK) ? O_NONBLOCK : 0;
	/* a facade's connections are facades (tcp_v6_syn_recv_sock, v4-mapped) */
	if (c.inet6 && (rc = sock_set_inet6(newsock)) < 0) {
		sock_put(newsock);
		return (int)call_end(&c, rc);
	}
	if (addr && (rc = shim_getname(&(struct call){ .sock = newsock, .inet6 = c.inet6 },
				       addr, len, 1)) < 0) {
		sock_put(newsock);
		return (int)call_end(&c, rc);
	}
	rc = sock_install(newsock, flags & SOCK_CLOEXEC);
	if (rc < 0)
		sock_put(newsock);
	return (int)call_end(&c, rc);
}

SHIM_EXPORT int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	shim_ensure();
	if (likely(!fd_peek(fd)) || shim_inside)
		return kernel_fd(real.accept4(fd, addr, len, flags));
	return shim_accept(fd, addr, len, flags);
}

SHIM_EXPORT int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	shim_ensure();
	if (likely(!fd_peek(fd)) || shim_inside)
		return kernel_fd(real.accept(fd, addr, len));
	return shim_accept(fd, addr, len, 0);
}

SHIM_EXPORT int shutdown(int fd, int how)
{
	struct call c;
	long rc;

	shim_ensure();
	if (likely(!fd_peek(fd)) || shim_inside || (rc = call_begin(fd, &c)) > 0)
		return real.shutdown(fd, how);
	if (rc < 0)
		return -1;
	rc = c.sock->ops->shutdown(c.sock, how);
	return (int)call_end(&c, rc);
}

SHIM_EXPORT int getsockname(int fd, struct sockaddr *addr, socklen_t *len)
{
	struct call c;
	long rc;

	shim_ensure();
	if (likely(!fd_peek(fd)) || shim_inside || (rc = call_begin(fd, &c)) > 0)
		return real.getsockname(fd, addr, len);
	if (rc < 0)
		return -1;
	return (int)call_end(&c, shim_getname(&c, addr, len, 0));
}

SHIM_EXPORT int getpeername(int fd, struct sockaddr *addr, socklen_t *len)
{
	struct call c;
	long rc;

	shim_ensure();
	if (likely(!fd_peek(fd)) || shim_inside || (rc = call_begin(fd, &c)) > 0)
		return real.getpeername(fd, addr, len);
	if (rc < 0)
		return -1;
	return (int)call_end(&c, shim_getname(&c, addr, len, 1));
}

/*
 * setsockopt(IPPROTO_IPV6) on a facade: checked as do_ipv6_setsockopt, kept
 * for a handover.  IPV6_V6ONLY 1 (only before bind, as Linux: EINVAL once a
 * port is taken) makes it an IPv6-only socket: the kernel's, now.
 */
static int facade_setsockopt(struct call *c, int fd, int name, const void *val, socklen_t len)
{
	int rc = inet6_opt_check(c->sock->type, name, val, len), on;

	if (!rc && name == IPV6_V6ONLY) {
		memcpy(&on, val, sizeof(on));
		if (c->sock->sk->sk_num)
			rc = -EINVAL;
		else if (on && sock_movable(c->sock))
			return (rc = call_handover(c)) ? (int)shim_ret(rc) :
							  real.setsockopt(fd, IPPROTO_IPV6, name, val, len);
	}
	if (!rc)
		aux_record_opt(c->sock, IPPROTO_IPV6, name, val, len);
	return (int)call_end(c, rc);
}

/* getsockopt(IPPROTO_IPV6) on a facade: what was set, or Linux's default. */
static int facade_getsockopt(struct call *c, int name, void *val, socklen_t *len)
{
	unsigned int l = *len < sizeof(int) ? *len : sizeof(int);
	int v, rc;

	rc = inet6_opt_get(c->sock->type, name, aux_last_opt(c->sock, IPPROTO_IPV6, name), &v);
	if (rc)
		return rc;
	if (l && !val)
		return -EFAULT;
	memcpy(val, &v, l);
	*len = l;
	return 0;
}

SHIM_EXPORT int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	struct call c;
	long rc;

	shim_ensure();
	if (likely(!fd_peek(fd)) || shim_inside || (rc = call_begin(fd, &c)) > 0)
		return real.setsockopt(fd, level, name, val, len);
	if (rc < 0)
		return -1;
	if (!val && len)
		return (int)call_end(&c, -EFAULT);
	if (c.inet6 && level == IPPROTO_IPV6)
		return facade_setsockopt(&c, fd, name, val, len);
	rc = c.sock->ops->setsockopt(c.sock, level, name, val, len);
	if (!rc)
		aux_record_opt(c.sock, level, name, val, len);
	return (int)call_end(&c, rc);
}

SHIM_EXPORT int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	unsigned int l;
	struct call c;
	long rc;

	shim_ensure();
	if (likely(!fd_peek(fd)) || shim_inside || (rc = call_begin(fd, &c)) > 0)
		return real.getsockopt(fd, level, name, val, len);
	if (rc < 0)
		return -1;
	if (!len)
		return (int)call_end(&c, -EFAULT);
	if (c.inet6 && level == IPPROTO_IPV6)
		return (int)call_end(&c, facade_getsockopt(&c, name, val, len));
	l = *len;
	rc = c.sock->ops->getsockopt(c.sock, level, name, val, &l);
	if (!rc)
		*len = l;
	if (!rc && c.inet6 && level == SOL_SOCKET && name == SO_DOMAIN)
		memcpy(val, &(int){ AF_INET6 }, l < sizeof(int) ? l : sizeof(int));
	return (int)call_end(&c, rc);
}

/* ---- data: send and receive ------------------------------------------------------- */

/*
 * The destination of a facade's datagram, as udpv6_sendmsg reads it:
 * ::ffff:a.b.c.d becomes @sin in @msg; AF_INET passes; AF_UNSPEC is no
 * address.  Return: 0, 1 (a real IPv6 destination, or :: which is ::1),
 * or -errno.
 */
static int facade_msg_name(struct msghdr *msg, struct sockaddr_in *sin)
{
	const struct sockaddr *sa = msg->msg_name;
	int rc;

	if (!sa || !msg->msg_namelen)
		return 0;
	if (msg->msg_namelen < sizeof(sa_family_t))
		return -EINVAL;
	if (sa->sa_family == AF_INET)
		return 0;
	if (sa->sa_family == AF_UNSPEC) {
		msg->msg_name = NULL;
		msg->msg_namelen = 0;
		return 0;
	}
	if (sa->sa_family != AF_INET6)
		return -EINVAL;
	rc = facade_addr(sa, msg->msg_namelen, sin);
	if (rc < 0)
		return rc;
	if (rc != INET6_MAPPED)
		return 1;
	msg->msg_name = sin;
	msg->msg_namelen = sizeof(*sin);
	return 0;
}

/* The skbos sendmsg, stack lock and a reference held.  Return: bytes or -errno. */
static long sock_send(struct call *c, const struct msghdr *umsg, int flags)
{
	struct msghdr msg, base;
	struct sockaddr_in sin;
	long rc;

	if (!umsg || (umsg->msg_iovlen && !umsg->msg_iov))
		return -EFAULT;
	if (umsg->msg_iovlen > IOV_MAX)
		return -EMSGSIZE;
	base = *umsg;
	if (!base.msg_namelen)
		base.msg_name = NULL;
	/* TCP ignores msg_name, on either family */
	/* bound on skbos's IPv4 to a real IPv6 address: EAFNOSUPPORT, as Linux
	 * for a v4-mapped source (Linux would send a socket bound to :: over
	 * IPv6; this one stays on skbos, README "Limits") */
	if (c->inet6 && c->sock->type == SOCK_DGRAM && (rc = facade_msg_name(&base, &sin)))
		return rc < 0 ? rc : -EAFNOSUPPORT;
	for (;;) {
		msg = base;
		msg.msg_flags = flags | ((c->sock->file_flags & O_NONBLOCK) ? MSG_DONTWAIT : 0);
		rc = sock_sendmsg(c->sock, &msg);
		if (rc != -EINTR || (msg.msg_flags & MSG_DONTWAIT) ||
		    !shim_restartable(c->sock->sk ? c->sock->sk->sk_sndtimeo : 0))
			break;
	}
	/* Linux: EPIPE on a stream socket also raises SIGPIPE unless MSG_NOSIGNAL. */
	if (rc == -EPIPE && c->sock->type == SOCK_STREAM && !(flags & MSG_NOSIGNAL))
		raise(SIGPIPE);
	return rc;
}

static long sock_recv(struct call *c, struct msghdr *msg, int flags)
{
	struct sockaddr_storage name;
	size_t controllen;
	socklen_t namelen;
	void *uname, *control;
	long rc;

	if (!msg || (msg->msg_iovlen && !msg->msg_iov))
		return -EFAULT;
	if (msg->msg_iovlen > IOV_MAX)
		return -EMSGSIZE;
	if (c->sock->file_flags & O_NONBLOCK)
		flags |= MSG_DONTWAIT;
	uname = msg->msg_name;
	namelen = msg->msg_namelen;
	if ((int)namelen < 0)
		return -EINVAL;
	control = msg->msg_control;
	controllen = msg->msg_controllen;
	for (;;) {
		msg->msg_name = uname ? &name : NULL;
		msg->msg_namelen = 0;
		msg->msg_flags = 0;
		msg->msg_control = control;
		msg->msg_controllen = controllen;
		rc = sock_recvmsg(c->sock, msg, flags);
		if (rc != -EINTR || (flags & MSG_DONTWAIT) ||
		    !shim_restartable(c->sock->sk ? c->sock->sk->sk_rcvtimeo : 0))
			break;
	}
	/* the core's put_cmsg moved msg_control on: report what it wrote */
	if (rc >= 0)
		msg_cmsg_done(msg, control);
	else
		msg->msg_control = control, msg->msg_controllen = controllen;
	msg->msg_name = uname;
	if (rc >= 0 && uname && c->inet6 && msg->msg_namelen)
		msg->msg_namelen = inet6_from_inet((const struct sockaddr_in *)&name, uname, namelen);
	else if (rc >= 0 && uname)
		memcpy(uname, &name, namelen < msg->msg_namelen ? namelen : msg->msg_namelen);
	else if (rc >= 0 || !uname)
		msg->msg_namelen = rc >= 0 ? 0 : namelen;
	return rc;
}

/* SCM_RIGHTS carrying an skbos fd over a kernel socket: refused, never mistranslated. */
static bool msg_passes_skbos_fd(const struct msghdr *msg)
{
	struct cmsghdr *cm;

	if (!msg || !msg->msg_control || msg->msg_controllen < sizeof(struct cmsghdr))
		return false;
	for (cm = CMSG_FIRSTHDR((struct msghdr *)msg); cm; cm = CMSG_NXTHDR((struct msghdr *)msg, cm)) {
		const int *fds = (const int *)(const void *)CMSG_DATA(cm);
		size_t n;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			uintptr_t e = fd_peek(fds[i]);

			if (e && !(e & FDT_EPOLL))
				return true;
		}
	}
	return false;
}

/* Received SCM_RIGHTS fds are new kernel fd numbers: clear stale entries. */
static void msg_fresh_fds(const struct msghdr *msg)
{
	struct cmsghdr *cm;

	if (!shim_enabled || !msg || !msg->msg_control || msg->msg_controllen < sizeof(struct cmsghdr))
		return;
	for (cm = CMSG_FIRSTHDR((struct msghdr *)msg); cm; cm = CMSG_NXTHDR((struct msghdr *)msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(fd));
			fd_fresh(fd);
		}
	}
}

/*
 * An unconnected, unbound skbos datagram socket sending to a destination
 * only the kernel reaches (a resolver on the host's 127.0.0.53, say) moves
 * to the kernel on its first send, as it would have at connect.
 */
static bool send_moves(struct call *c, const struct msghdr *msg)
{
	const struct sockaddr_in *sin;
	struct sockaddr_in sin4;
	struct msghdr m;
	int rc;

	if (!msg || !msg->msg_name || !sock_movable(c->sock) || c->sock->sk->sk_num)
		return false;
	m = *msg;
	/* a facade's datagram to a real IPv6 address: the kernel's */
	if (c->inet6 && c->sock->type == SOCK_DGRAM && (rc = facade_msg_name(&m, &sin4)))
		return rc > 0;
	sin = m.msg_name;
	return sin && m.msg_namelen >= sizeof(*sin) && sin->sin_family == AF_INET &&
	       !route_is_skbos(c->in, sin->sin_addr.s_addr);
}

static ssize_t shim_sendmsg(int fd, const struct msghdr *msg, int flags)
{
	struct call c;
	long rc = call_begin(fd, &c);

	if (rc > 0)
		return real.sendmsg(fd, msg, flags);
	if (rc < 0)
		return -1;
	if (send_moves(&c, msg)) {
		rc = handover(&c);
		call_end(&c, 0);
		return rc ? shim_ret(rc) : real.sendmsg(fd, msg, flags);
	}
	return call_end(&c, sock_send(&c, msg, flags));
}

SHIM_EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	shim_ensure();
	if (likely(!fd_peek(fd)) || shim_inside) {
		ssize_t rc;

		if (unlikely(fdt_size && msg_passes_skbos_fd(msg))) {
			errno = EOPNOTSUPP;
			return -1;
		}
		rc = real.sendmsg(fd, msg, flags);
		if (unlikely(nl_route_fd(fd)) && rc > 0 && !shim_inside && msg->msg_iovlen)
			nl_route_sent(fd, msg->msg_iov[0].iov_base, msg->msg_iov[0].iov_len);
		return rc;
	}
	return shim_sendmsg(fd, msg, flags);
}

SHIM_EXPORT ssize_t sendto(int fd, const void *buf, size_t len, int flags,
			   const struct sockaddr *to, socklen_t tolen)
{
	struct iovec iov = { (void *)buf, len };
	struct msghdr msg = { .msg_name = (void *)to, .msg_namelen = to ? tolen : 0,
			      .msg_iov = &iov, .msg_iovlen = 1 };

	shim_ensure();
	if (likely(!fd_peek(fd)) || shim_inside) {
		ssize_t rc = real.sendto(fd, buf, len, flags, to, tolen);

		if (unlikely(nl_route_fd(fd)) && rc > 0 && !shim_inside)
			nl_route_sent(fd, buf, len);
		return rc;
	}
	return shim_sendmsg(fd, &msg, flags);
}

SHIM_EXPORT ssize_t send(int fd, const void *buf, size_t len, int flags)
{
	struct iovec iov = { (void *)buf, len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

	shim_ensure();
	if (likely(!fd_peek(fd)) || shim_inside) {
		ssize_t rc = real.send(fd, buf, len, flags);

		if (unlikely(nl_route_fd(fd)) && rc > 0 && !shim_inside)
			nl_route_sent(fd, buf, len);
		return rc;
	}
	return shim_sendmsg(fd, &msg, flags);
}

SHIM_EXPORT int sendmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, int flags)
{
	struct call c;
	long rc;
	unsigned int i;

	shim_ensure();
	if (likely(!fd_peek(fd)) || shim_inside) {
		for (i = 0; fdt_size && vec && i < vlen; i++)
			if (msg_passes_skbos_fd(&vec[i].msg_hdr)) {
				errno = EOPNOTSUPP;
				return -1;
			}
		return real.sendmmsg(fd, vec, vlen, flags);
	}
	if ((rc = call_begin(fd, &c)) > 0)
		return real.sendmmsg(fd, vec, vlen, flags);
	if (rc < 0)
		return -1;
	if (vlen > 1024)
		vlen = 1024; /* UIO_MAXIOV, as Linux */
	if (vlen && !vec)
		return (int)call_end(&c, -EFAULT);
	for (i = 0, rc = 0; i < vlen; i++) {
		rc = sock_send(&c, &vec[i].msg_hdr, flags);
		if (rc < 0)
			break;
		vec[i].msg_len = (unsigned int)rc;
	}
	return (int)call_end(&c, i ? (long)i : rc);
}

static ssize_t shim_recvmsg(int fd, struct msghdr *msg, int flags)
{
	struct call c;
	long rc = call_begin(fd, &c);

	if (rc > 0)
		return real.recvmsg(fd, msg, flags);
	if (rc < 0)
		return -1;
	return call_end(&c, sock_recv(&c, msg, flags));
}

SHIM_EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	ssize_t rc;

	shim_ensure();
	if (unlikely(nl_route_fd(fd)) && !shim_inside)
		return nl_route_recvmsg(fd, msg, flags);
	if (likely(!fd_peek(fd)) || shim_inside) {
		rc = real.recvmsg(fd, msg, flags);
		if (rc >= 0 && !shim_inside)
			msg_fresh_fds(msg);
		return rc;
	}
	return shim_recvmsg(fd, msg, flags);
}

static ssize_t shim_recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from,
			     socklen_t *fromlen)
{
	struct iovec iov = { buf, len };
	struct msghdr msg = { .msg_name = from, .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t rc;

	if (from && !fromlen) {
		errno = EFAULT;
		return -1;
	}
	msg.msg_namelen = from ? *fromlen : 0;
	rc = shim_recvmsg(fd, &msg, flags);
	if (rc >= 0 && from)
		*fromlen = msg.msg_namelen;
	return rc;
}

SHIM_EXPORT ssize_t recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from,
			     socklen_t *fromlen)
{
	shim_ensure();
	if (unlikely(nl_route_fd(fd)) && !shim_inside)
		return nl_route_recvfrom(fd, buf, len, flags, from, fromlen);
	if (likely(!fd_peek(fd)) || shim_inside)
		return real.recvfrom(fd, buf, len, flags, from, fromlen);
	return shim_recvfrom(fd, buf, len, flags, from, fromlen);
}

SHIM_EXPORT ssize_t recv(int fd, void *buf, size_t len, int flags)
{
	shim_ensure();
	if (unlikely(nl_route_fd(fd)) && !shim_inside)
		return nl_route_recvfrom(fd, buf, len, flags, NULL, NULL);
	if (likely(!fd_peek(fd)) || shim_inside)
		return real.recv(fd, buf, len, flags);
	return shim_recvfrom(fd, buf, len, flags, NULL, NULL);
}

SHIM_EXPORT int recvmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, int flags,
			 struct timespec *timeout)
{
	struct timespec deadline, left;
	struct call c;
	unsigned int i;
	long rc;

	shim_ensure();
	if (likely(!fd_peek(fd)) || shim_inside || (rc = call_begin(fd, &c)) > 0)
		return real.recvmmsg(fd, vec, vlen, flags, timeout);
	if (rc < 0)
		return -1;
	if (timeout && (timeout->tv_sec < 0 || (unsigned long)timeout->tv_nsec >= 1000000000ul))
		return (int)call_end(&c, -EINVAL);
	if (vlen > 1024)
		vlen = 1024;
	if (vlen && !vec)
		return (int)call_end(&c, -EFAULT);
	if (timeout)
		shim_deadline(timeout, &deadline);
	for (i = 0, rc = 0; i < vlen; i++) {
		rc = sock_recv(&c, &vec[i].msg_hdr, flags);
		if (rc < 0)
			break;
		vec[i].msg_len = (unsigned int)rc;
		if (flags & MSG_WAITFORONE)
			flags |= MSG_DONTWAIT;
		/* Linux checks the timeout only after each datagram (recvmmsg(2) BUGS). */
		if (timeout && !shim_timeout_left(&deadline, &left)) {
			i++;
			break;
		}
	}
	if (timeout)
		shim_timeout_left(&deadline, timeout);
	return (int)call_end(&c, i ? (long)i : rc);
}

static ssize_t shim_readv(int fd, const struct iovec *iov, int iovcnt, bool write)
{
	struct msghdr msg = { .msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)iovcnt };
	size_t total = 0;

	if (iovcnt < 0 || iovcnt > IOV_MAX) {
		errno = EINVAL;
		return -1;
	}
	for (int i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	if (write)
		return shim_sendmsg(fd, &msg, 0);
	if (!total && fd_peek(fd) && !(fd_peek(fd) & FDT_EPOLL))
		return 0; /* sock_read_iter: "Match SYS5 behaviour" */
	return shim_recvmsg(fd, &msg, 0);
}

SHIM_EXPORT ssize_t read(int fd, void *buf, size_t len)
{
	struct iovec iov = { buf, len };

	shim_ensure();
	if (likely(!fd_peek(fd)) || shim_inside)
		return real.read(fd, buf, len);
	if (fd_peek(fd) & FDT_EPOLL)
		return real.read(fd, buf, len);
	return shim_readv(fd, &iov, 1, false);
}

SHIM_EXPORT ssize_t readv(int fd, const struct iovec *iov, int iovcnt)
{
	shim_ensure();
	if (likely(!fd_peek(fd)) || shim_inside || (fd_peek(fd) & FDT_EPOLL))
		return real.readv(fd, iov, iovcnt);
	return shim_readv(fd, iov, iovcnt, false);
}

SHIM_EXPORT ssize_t write(int fd, const void *buf, size_t len)
{
	struct iovec iov = { (void *)buf, len };

	shim_ensure();
	if (likely(!fd_peek(fd)) || shim_inside || (fd_peek(fd) & FDT_EPOLL))
		return real.write(fd, buf, len);
	return shim_readv(fd, &iov, 1, true);
}

SHIM_EXPORT ssize_t writev(int fd, const struct iovec *iov, int iovcnt)
{
	shim_ensure();
	if (likely(!fd_peek(fd)) || shim_inside || (fd_peek(fd) & FDT_EPOLL))
		return real.writev(fd, iov, iovcnt);
	return shim_readv(fd, iov, iovcnt, true);
}

/* pread/pwrite on a socket: ESPIPE, as Linux (a socket has no offset). */
static ssize_t sock_espipe(int fd)
{
	struct call c;
	long rc = call_begin(fd, &c);

	if (rc < 0)
		return -1;
	if (rc > 0)
		return 1;
	return call_end(&c, -ESPIPE);
}

SHIM_EXPORT ssize_t pread(int fd, void *buf, size_t len, off_t off)
{
	shim_ensure();
	if (likely(!fd_peek(fd)) || shim_inside || sock_espipe(fd) > 0)
		return real.pread(fd, buf, len, off);
	return -1;
}

SHIM_EXPORT ssize_t pread64(int fd, void *buf, size_t len, off_t off)
{
	shim_ensure();
	if (likely(!fd_peek(fd)) || shim_inside || sock_espipe(fd) > 0)
		return real.pread64(fd, buf, len, off);
	return -1;
}

SHIM_EXPORT ssize_t pwrite(int fd, const void *buf, size_t len, off_t off)
{
	shim_ensure();
	if (likely(!fd_peek(fd)) || shim_inside || sock_espipe(fd) > 0)
		return real.pwrite(fd, buf, len, off);
	return -1;
}

SHIM_EXPORT ssize_t pwrite64(int fd, const void *buf, size_t len, off_t off)
{
	shim_ensure();
	if (likely(!fd_peek(fd)) || shim_inside || sock_espipe(fd) > 0)
		return real.pwrite64(fd, buf, len, off);
	return -1;
}

/*
 * sendfile into an skbos socket: read the file, send what was read (the
 * kernel's splice cannot reach skbos).  From an skbos socket: EINVAL, as
 * Linux for an in_fd that cannot be mmap'd.
 */
static ssize_t shim_sendfile(int out, int in, off_t *off, size_t count,
			     ssize_t (*kernel)(int, int, off_t *, size_t))
{
	char buf[65536];
	ssize_t done = 0;

	if (fd_peek(in) && !(fd_peek(in) & FDT_EPOLL)) {
		errno = EINVAL;
		return -1;
	}
	if (!fd_peek(out) || (fd_peek(out) & FDT_EPOLL))
		return kernel(out, in, off, count);
	while ((size_t)done < count) {
		size_t want = count - (size_t)done < sizeof(buf) ? count - (size_t)done : sizeof(buf);
		ssize_t n = off ? real.pread(in, buf, want, *off) : real.read(in, buf, want);
		ssize_t m;

		if (n <= 0) {
			if (n < 0 && !done)
				return -1;
			break;
		}
		m = send(out, buf, (size_t)n, 0);
		if (m < 0) {
			if (!done)
				return -1;
			break;
		}
		if (off)
			*off += m;
		else if (m < n)
			lseek(in, m - n, SEEK_CUR);
		done += m;
		if (m < n)
			break;
	}
	return done;
}

SHIM_EXPORT ssize_t sendfile(int out, int in, off_t *off, size_t count)
{
	shim_ensure();
	if (shim_inside || !fdt_size)
		return real.sendfile(out, in, off, count);
	return shim_sendfile(out, in, off, count, real.sendfile);
}

/*
 * splice(2) with an skbos socket at either end: the kernel's pipe cannot
 * reach skbos's buffers, so the answer is a kernel's for a file that does
 * not support splicing, EINVAL (splice(2)), never a splice of the
 * placeholder fd behind it.
 */
SHIM_EXPORT ssize_t splice(int in, loff_t *off_in, int out, loff_t *off_out, size_t len,
			   unsigned int flags)
{
	shim_ensure();
	if (!shim_inside && fdt_size && (fd_peek(in) || fd_peek(out))) {
		errno = EINVAL;
		return -1;
	}
	return real.splice(in, off_in, out, off_out, len, flags);
}

SHIM_EXPORT ssize_t sendfile64(int out, int in, off_t *off, size_t count)
{
	shim_ensure();
	if (shim_inside || !fdt_size)
		return real.sendfile64(out, in, off, count);
	return shim_sendfile(out, in, off, count, real.sendfile64);
}

/* ---- the fd layer: close, dup, fcntl, ioctl, close_range --------------------------- */

SHIM_EXPORT int close(int fd)
{
	struct skbos_instance *in;
	uintptr_t e;
	int rc;

	shim_ensure();
	if (likely(!fd_peek(fd)) || shim_inside)
		return real.close(fd);
	in = shim_instance();
	if (in)
		shim_lock(in);
	e = fd_peek(fd);
	if (e)
		fdt_set(fd, 0);
	rc = real.close(fd); /* the number is free from here: the entry went first */
	if (e)
		fd_drop_entry(in, fd, e);
	if (in)
		shim_unlock(in);
	return e ? 0 : rc;
}

/*
 * Duplicate @old onto @new (-1: the lowest free >= @min) with the kernel
 * doing the fd part; the entry follows.  Stack lock held if @in.
 */
static int dup_entry(struct skbos_instance *in, int old, int new, int min, bool cloexec)
{
	uintptr_t eo = fd_peek(old), en = new >= 0 ? fd_peek(new) : 0;
	struct socket *sock = fd_entry_sock(eo);
	struct sepoll *ep = fd_entry_ep(eo);
	int fd;

	if (sock && sock_is_orphan(sock, in)) {
		errno = EBADF;
		return -1;
	}
	if (new < 0)
		fd = real.fcntl(old, sock ? F_DUPFD_CLOEXEC : (cloexec ? F_DUPFD_CLOEXEC : F_DUPFD), min);
	else
		fd = real.dup3(old, new, (sock || cloexec) ? O_CLOEXEC : 0);
	if (fd < 0)
		return -1;
	if (new < 0)
		en = fd_peek(fd);
	if (en)
		fd_drop_entry(in, fd, en);
	if (sock) {
		sock_get(sock);
		fdt_set(fd, (uintptr_t)sock | (cloexec ? FDT_CLOEXEC : 0));
	} else if (ep) {
		sepoll_get(ep);
		fdt_set(fd, eo);
	}
	return fd;
}

static int shim_dup(int old, int new, int min, bool cloexec)
{
	struct skbos_instance *in;
	int fd;

	if (unlikely(shim_orphans))
		shim_adopt_fd(old);
	in = shim_instance();
	if (in)
		shim_lock(in);
	fd = dup_entry(in, old, new, min, cloexec);
	if (in) {
		int err = errno;

		shim_unlock(in);
		errno = err;
	}
	return fd;
}

SHIM_EXPORT int dup(int old)
{
	shim_ensure();
	if (likely(!fd_peek(old)) || shim_inside)
		return kernel_fd(real.dup(old));
	return shim_dup(old, -1, 0, false);
}

SHIM_EXPORT int dup2(int old, int new)
{
	shim_ensure();
	if (shim_inside || (likely(!fd_peek(old)) && likely(!fd_peek(new))))
		return real.dup2(old, new);
	if (old == new) {
		if (real.fcntl(old, F_GETFD) < 0)
			return -1;
		return new;
	}
	return shim_dup(old, new, 0, false);
}

SHIM_EXPORT int dup3(int old, int new, int flags)
{
	shim_ensure();
	if (shim_inside || (likely(!fd_peek(old)) && likely(!fd_peek(new))))
		return real.dup3(old, new, flags);
	if (old == new || (flags & ~O_CLOEXEC)) {
		errno = EINVAL;
		return -1;
	}
	return shim_dup(old, new, 0, flags & O_CLOEXEC);
}

static int shim_fcntl(int fd, int cmd, void *arg, int (*kernel)(int, int, ...))
{
	struct skbos_instance *in;
	uintptr_t e;
	long rc;

	if (unlikely(shim_orphans))
		shim_adopt_fd(fd);
	e = fd_peek(fd);
	if (!e || (e & FDT_EPOLL)) {
		if (e && (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC))
			return shim_dup(fd, -1, (int)(intptr_t)arg, cmd == F_DUPFD_CLOEXEC);
		rc = kernel(fd, cmd, arg);
		if (rc >= 0 && (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC))
			fd_fresh((int)rc);
		return (int)rc;
	}
	if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC) {
		if ((intptr_t)arg < 0) {
			errno = EINVAL;
			return -1;
		}
		return shim_dup(fd, -1, (int)(intptr_t)arg, cmd == F_DUPFD_CLOEXEC);
	}
	in = shim_instance();
	if (!in || sock_is_orphan(fd_entry_sock(e), in)) {
		errno = EBADF;
		return -1;
	}
	shim_lock(in);
	e = fd_peek(fd);
	if (!e || (e & FDT_EPOLL)) {
		shim_unlock(in);
		return kernel(fd, cmd, arg);
	}
	switch (cmd) {
	case F_GETFD:
		rc = (e & FDT_CLOEXEC) ? FD_CLOEXEC : 0;
		break;
	case F_SETFD:
		fdt_set(fd, ((intptr_t)arg & FD_CLOEXEC) ? (e | FDT_CLOEXEC) : (e & ~FDT_CLOEXEC));
		rc = 0;
		break;
	case F_GETFL:
		rc = O_RDWR | (long)(fd_entry_sock(e)->file_flags & O_NONBLOCK);
		break;
	case F_SETFL: {
		struct socket *sock = fd_entry_sock(e);

		/* Linux keeps O_APPEND/O_ASYNC/O_DIRECT/O_NOATIME too; skbos has no SIGIO */
		sock->file_flags = (sock->file_flags & ~(unsigned int)O_NONBLOCK) |
				   ((unsigned int)(intptr_t)arg & O_NONBLOCK);
		rc = 0;
		break;
	}
	default:
		/* locks, owners, signals, leases, seals: the placeholder answers */
		rc = kernel(fd, cmd, arg);
		rc = rc < 0 ? -errno : rc;
	}
	shim_unlock(in);
	return (int)shim_ret(rc);
}

SHIM_EXPORT int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	shim_ensure();
	if (shim_inside || (likely(!fd_peek(fd)) && cmd != F_DUPFD && cmd != F_DUPFD_CLOEXEC))
		return real.fcntl(fd, cmd, arg);
	return shim_fcntl(fd, cmd, arg, real.fcntl);
}

SHIM_EXPORT int fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	shim_ensure();
	if (shim_inside || (likely(!fd_peek(fd)) && cmd != F_DUPFD && cmd != F_DUPFD_CLOEXEC))
		return real.fcntl64(fd, cmd, arg);
	return shim_fcntl(fd, cmd, arg, real.fcntl64);
}

/* Interface ioctls (SIOCGIF*) on an skbos socket: the kernel's answer. */
static int kernel_ifioctl(unsigned long req, void *arg)
{
	static int kfd = -1;
	int fd = __atomic_load_n(&kfd, __ATOMIC_ACQUIRE);

	if (fd < 0) {
		fd = real.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		fd_fresh(fd);
		int expect = -1;

		if (!__atomic_compare_exchange_n(&kfd, &expect, fd, false, __ATOMIC_ACQ_REL,
						 __ATOMIC_ACQUIRE)) {
			real.close(fd);
			fd = expect;
		}
	}
	return real.ioctl(fd, req, arg) < 0 ? -errno : 0;
}

SHIM_EXPORT int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;
	struct call c;
	long rc;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	shim_ensure();
	if (likely(!fd_peek(fd)) || shim_inside || (rc = call_begin(fd, &c)) > 0)
		return real.ioctl(fd, req, arg);
	if (rc < 0)
		return -1;
	switch (req) {
	case FIONBIO: {
		int on;

		if (!arg)
			return (int)call_end(&c, -EFAULT);
		memcpy(&on, arg, sizeof(on));
		if (on)
			c.sock->file_flags |= O_NONBLOCK;
		else
			c.sock->file_flags &= ~(unsigned int)O_NONBLOCK;
		return (int)call_end(&c, 0);
	}
	case FIOCLEX:
	case FIONCLEX:
		fdt_set(fd, req == FIOCLEX ? (c.entry | FDT_CLOEXEC) : (c.entry & ~FDT_CLOEXEC));
		return (int)call_end(&c, 0);
	case FIOASYNC:
		return (int)call_end(&c, 0); /* accepted; skbos sends no SIGIO */
	}
	if (!arg && (req == FIONREAD || req == TIOCOUTQ || req == SIOCOUTQNSD_SKBOS))
		return (int)call_end(&c, -EFAULT);
	rc = c.sock->ops->ioctl(c.sock, (unsigned int)req, (unsigned long)arg);
	if (rc == -ENOIOCTLCMD && (req & 0xff00) == 0x8900)
		rc = kernel_ifioctl(req, arg);
	return (int)call_end(&c, rc);
}

SHIM_EXPORT int close_range(unsigned int first, unsigned int last, int flags)
{
	struct skbos_instance *in;
	int rc;

	shim_ensure();
	if (!real.close_range) {
		errno = ENOSYS;
		return -1;
	}
	if (shim_inside || !fdt_size || first >= (unsigned int)fdt_high_load())
		return real.close_range(first, last, flags);
	if (first > last || (flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC))) {
		errno = EINVAL;
		return -1;
	}
	in = shim_instance();
	if (in)
		shim_lock(in);
	for (unsigned int f = first; f <= last && f < (unsigned int)fdt_high_load(); f++) {
		uintptr_t e = fd_peek((int)f);

		if (!e)
			continue;
		if (flags & CLOSE_RANGE_CLOEXEC) {
			if (!(e & FDT_EPOLL))
				fdt_set((int)f, e | FDT_CLOEXEC);
			continue;
		}
		fdt_set((int)f, 0);
		fd_drop_entry(in, (int)f, e);
	}
	rc = real.close_range(first, last, flags);
	if (in) {
		int err = errno;

		shim_unlock(in);
		errno = err;
	}
	return rc;
}

SHIM_EXPORT void closefrom(int lowfd)
{
	shim_ensure();
	if (lowfd < 0)
		lowfd = 0;
	if (close_range((unsigned int)lowfd, ~0u, 0) && real.closefrom)
		real.closefrom(lowfd);
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

/* ---- calls that hand out fd numbers ------------------------------------------------- */

static bool open_needs_mode(int flags)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
}

#define OPEN_MODE(flags, mode)                                                 \
	do {                                                                   \
		if (open_needs_mode(flags)) {                                  \
			va_list ap;                                            \
			va_start(ap, flags);                                   \
			mode = va_arg(ap, mode_t);                             \
			va_end(ap);                                            \
		}                                                              \
	} while (0)

SHIM_EXPORT int open(const char *path, int flags, ...)
{
	mode_t mode = 0;

	OPEN_MODE(flags, mode);
	shim_ensure();
	return kernel_fd(real.open(path, flags, mode));
}

SHIM_EXPORT int open64(const char *path, int flags, ...)
{
	mode_t mode = 0;

	OPEN_MODE(flags, mode);
	shim_ensure();
	return kernel_fd(real.open64(path, flags, mode));
}

SHIM_EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;

	OPEN_MODE(flags, mode);
	shim_ensure();
	return kernel_fd(real.openat(dirfd, path, flags, mode));
}

SHIM_EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;

	OPEN_MODE(flags, mode);
	shim_ensure();
	return kernel_fd(real.openat64(dirfd, path, flags, mode));
}

SHIM_EXPORT int creat(const char *path, mode_t mode)
{
	shim_ensure();
	return kernel_fd(real.creat(path, mode));
}

SHIM_EXPORT int pipe(int fds[2])
{
	int rc;

	shim_ensure();
	rc = real.pipe(fds);
	fd_fresh_pair(fds, rc);
	return rc;
}

SHIM_EXPORT int pipe2(int fds[2], int flags)
{
	int rc;

	shim_ensure();
	rc = real.pipe2(fds, flags);
	fd_fresh_pair(fds, rc);
	return rc;
}

SHIM_EXPORT int eventfd(unsigned int initval, int flags)
{
	shim_ensure();
	return kernel_fd(real.eventfd(initval, flags));
}

SHIM_EXPORT int timerfd_create(int clockid, int flags)
{
	shim_ensure();
	return kernel_fd(real.timerfd_create(clockid, flags));
}

SHIM_EXPORT int signalfd(int fd, const sigset_t *mask, int flags)
{
	shim_ensure();
	return fd == -1 ? kernel_fd(real.signalfd(fd, mask, flags)) : real.signalfd(fd, mask, flags);
}

SHIM_EXPORT int memfd_create(const char *name, unsigned int flags)
{
	shim_ensure();
	return kernel_fd(real.memfd_create(name, flags));
}

SHIM_EXPORT int inotify_init(void)
{
	shim_ensure();
	return kernel_fd(real.inotify_init());
}

SHIM_EXPORT int inotify_init1(int flags)
{
	shim_ensure();
	return kernel_fd(real.inotify_init1(flags));
}

/* ---- _FORTIFY_SOURCE variants ------------------------------------------------------- */

SHIM_EXPORT ssize_t __read_chk(int fd, void *buf, size_t len, size_t buflen)
{
	if (len > buflen)
		__chk_fail();
	return read(fd, buf, len);
}

SHIM_EXPORT ssize_t __recv_chk(int fd, void *buf, size_t len, size_t buflen, int flags)
{
	if (len > buflen)
		__chk_fail();
	return recv(fd, buf, len, flags);
}

SHIM_EXPORT ssize_t __recvfrom_chk(int fd, void *buf, size_t len, size_t buflen, int flags,
				   struct sockaddr *from, socklen_t *fromlen)
{
	if (len > buflen)
		__chk_fail();
	return recvfrom(fd, buf, len, flags, from, fromlen);
}
