/*
 * portshare.h - what the core asks when other processes share its address
 * (DESIGN.md "fork/exec and many processes"): may this stack take a port,
 * does another process own one, and is this stack the address's default
 * responder (the one that answers ARP and ping and resets ports nobody owns).
 *
 * A stack alone on its address has no share (st->share == NULL): it owns
 * every port and answers everything, as before.  libos/runtime/portown.c provides
 * the ops for a stack on a shared interface address.
 */
#ifndef SKBOS_PORTSHARE_H
#define SKBOS_PORTSHARE_H

#include "stack.h"

/**
 * struct port_share_ops - the port-ownership table of a shared address.
 * @claim: take (@proto, @port) for this process (counted: one per bound
 *	socket).  Return: 0, or -EADDRINUSE when another live process owns it.
 * @release: drop one claim.
 * @foreign: another live process owns (@proto, @port).
 * @mine: this process owns it.
 * @responder: this process is the default responder now.
 * @listen: TCP @port listens here: it becomes a listener group that the
 *	children which inherit the listener join (one member so far).
 * @join: an inherited listener is being re-made in this process: join the
 *	group of TCP @port before the bind.
 * @interest: this process accepts or waits on its listener of TCP @port:
 *	a member left dormant by a fork takes new connections again.
 * @syn_mine: a SYN for group port @port from @saddr:@sport is this
 *	process's to answer (the live active members, in slot order, indexed
 *	by a hash of the remote end: every member computes the same pick).
 * @shared: (@proto, @port) is a group with other live members: a segment
 *	no socket here wants may be another member's, so nobody resets it.
 * @conn_join: this process is taking over a connection on TCP @port
 *	(inherited at fork): if the port is a listener group, it becomes a
 *	member that holds connections only (no new SYN is its), so its frames
 *	are let in here and nobody resets them; the claim follows.
 *	Return: true if @port is a group (a member now).
 * @give: the connection on (@proto, @port) that this process owns moves
 *	to the process in table slot @to: the port is that process's from now
 *	on (a group's port stays the group's).
 * @self: this process's slot in the table (what @give takes).
 * @conn_hashed: a connection of this stack on local TCP @port with the
 *	remote end @saddr:@sport is in the established table now (SYN_RECV
 *	on): if the packet filter would not let its segments in (a listener
 *	group's flows are steered by the same hash as @syn_mine, and the
 *	filter's member set may be older than the pick), it is rebuilt now.
 */
struct port_share_ops {
	int (*claim)(void *priv, int proto, u16 port);
	void (*release)(void *priv, int proto, u16 port);
	bool (*foreign)(void *priv, int proto, u16 port);
	bool (*mine)(void *priv, int proto, u16 port);
	bool (*responder)(void *priv);
	void (*listen)(void *priv, u16 port);
	void (*join)(void *priv, u16 port);
	void (*interest)(void *priv, u16 port);
	bool (*syn_mine)(void *priv, u16 port, __be32 saddr, __be16 sport);
	bool (*shared)(void *priv, int proto, u16 port);
	bool (*conn_join)(void *priv, u16 port);
	void (*give)(void *priv, int proto, u16 port, int to);
	int (*self)(void *priv);
	void (*conn_hashed)(void *priv, u16 port, __be32 saddr, __be16 sport);
};

struct port_share {
	const struct port_share_ops *ops;
	void *priv;
};

static inline int stack_port_claim(struct stack *st, int proto, u16 port)
{
	return st->share ? st->share->ops->claim(st->share->priv, proto, port) : 0;
}

static inline void stack_port_release(struct stack *st, int proto, u16 port)
{
	if (st->share && port)
		st->share->ops->release(st->share->priv, proto, port);
}

static inline bool stack_port_foreign(struct stack *st, int proto, u16 port)
{
	return st->share && st->share->ops->foreign(st->share->priv, proto, port);
}

/** stack_is_responder - this stack answers ARP, ping and unowned ports. */
static inline bool stack_is_responder(struct stack *st)
{
	return !st->share || st->share->ops->responder(st->share->priv);
}

/**
 * stack_may_answer - may this stack answer a segment or datagram for
 * (@proto, @port) that no socket of its own wants (RST, port unreachable)?
 * The owner answers for its ports; the default responder for ports nobody
 * owns; everybody else stays silent, so exactly one answer goes out.
 */
static inline bool stack_may_answer(struct stack *st, int proto, u16 port)
{
	if (!st->share)
		return true;
	if (st->share->ops->shared(st->share->priv, proto, port))
		return false;
	if (st->share->ops->mine(st->share->priv, proto, port))
		return true;
	return st->share->ops->responder(st->share->priv) &&
	       !st->share->ops->foreign(st->share->priv, proto, port);
}

static inline void stack_port_listen(struct stack *st, u16 port)
{
	if (st->share)
		st->share->ops->listen(st->share->priv, port);
}

static inline void stack_port_join(struct stack *st, u16 port)
{
	if (st->share)
		st->share->ops->join(st->share->priv, port);
}

static inline void stack_port_interest(struct stack *st, u16 port)
{
	if (st->share)
		st->share->ops->interest(st->share->priv, port);
}

static inline bool stack_syn_mine(struct stack *st, u16 port, __be32 saddr, __be16 sport)
{
	return !st->share || st->share->ops->syn_mine(st->share->priv, port, saddr, sport);
}

static inline void stack_conn_hashed(struct stack *st, u16 port, __be32 saddr, __be16 sport)
{
	if (st->share)
		st->share->ops->conn_hashed(st->share->priv, port, saddr, sport);
}

static inline bool stack_port_conn_join(struct stack *st, u16 port)
{
	return st->share && st->share->ops->conn_join(st->share->priv, port);
}

static inline void stack_port_give(struct stack *st, int proto, u16 port, int to)
{
	if (st->share && to >= 0)
		st->share->ops->give(st->share->priv, proto, port, to);
}

/** stack_port_self - this stack's slot in the port table, or -1 (alone). */
static inline int stack_port_self(struct stack *st)
{
	return st->share ? st->share->ops->self(st->share->priv) : -1;
}

#endif /* SKBOS_PORTSHARE_H */
