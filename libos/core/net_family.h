/*
 * net_family.h - how a protocol family joins a stack (Linux's
 * net_proto_family, registered with sock_register(), and the
 * pernet_operations its init calls register).
 *
 * The core knows no family by name: stack_new() is given a table of
 * families (struct stack_params), brings each one up in order with its
 * pernet init and takes them down in reverse at stack_free(); socket()
 * finds the family's create in the same table.  libos/ipv4 offers
 * inet_families (ip.h); the runtime and the tests pass it.
 */
#ifndef SKBOS_NET_FAMILY_H
#define SKBOS_NET_FAMILY_H

struct stack;
struct socket;

/**
 * struct pernet_operations - one subsystem's per-stack state.
 * @init: build it.  Return: 0 or -errno; on failure @exit is still called
 *	(exits tolerate state left half-built, as Linux's cleanup_net).
 * @exit: free it (devices are already gone).
 */
struct pernet_operations {
	const char *name;
	int (*init)(struct stack *st);
	void (*exit)(struct stack *st);
};

/**
 * struct net_proto_family - a socket family (AF_INET ...).
 * @pernet: its per-stack state
 * @create: the family's part of socket(): choose the transport and give
 *	@sock its ops and sock.  Return: 0 or -errno.
 */
struct net_proto_family {
	int family;
	struct pernet_operations pernet;
	int (*create)(struct stack *st, struct socket *sock, int protocol);
};

#endif /* SKBOS_NET_FAMILY_H */
