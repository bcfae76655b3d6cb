/*
 * call.h - what the shim's call files (sockcalls.c, iocalls.c, fdcalls.c,
 * handover.c, fork.c) share: one call on one skbos fd, the per-socket
 * records of sockaux.c, and the handover.
 */
#ifndef SKBOS_PRELOAD_CALL_H
#define SKBOS_PRELOAD_CALL_H

#include "shim.h"
#include "net.h"

struct sockaddr_in;

/* ---- one call on one skbos fd (call.c) ----------------------------------------- */

struct call {
	struct skbos_instance *in;
	struct socket *sock;
	uintptr_t entry;
	bool inet6; /* an IPv6 facade (sock_set_inet6) */
};

int call_begin(int fd, struct call *c);
long call_end(struct call *c, long rc);
void shim_sock_own(struct socket *sock);

/**
 * call_enter - the prologue of every call on one fd.  Return: 1 (libc's:
 * a kernel fd, or skbos calling itself), 0 (an skbos socket: locked, a
 * reference on c->sock held, call_end to leave), -1 (errno set).
 */
static inline int call_enter(int fd, struct call *c)
{
	shim_ensure();
	if (likely(!fd_peek(fd)) || shim_inside)
		return 1;
	return call_begin(fd, c);
}

/* ---- per-socket records (sockaux.c) ---------------------------------------------- */

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

struct sockaux *aux_find(const struct socket *sock, bool create);
void aux_free(const struct socket *sock);
void aux_record_opt(struct socket *sock, int level, int name, const void *val, socklen_t len);
const int *aux_last_opt(const struct socket *sock, int level, int name);
int sock_set_inet6(struct socket *sock);
bool sock_is_inet6(const struct socket *sock);

/* ---- handover (handover.c) and new skbos fds (sockcalls.c) ----------------------- */

bool route_is_skbos(struct skbos_instance *in, uint32_t daddr);
bool bind_is_skbos(struct skbos_instance *in, uint32_t addr);
int handover(struct call *c);
int call_handover(struct call *c);
int inet6_takeover(struct call *c);
int sock_install(struct socket *sock, bool cloexec);

/* Neither committed to skbos nor given a port: it may still be handed over. */
static inline bool sock_unbound(const struct socket *sock)
{
	return sock_uncommitted(sock) && !sock_local_port(sock);
}

#endif /* SKBOS_PRELOAD_CALL_H */
