/*
 * netfilter.h - the five IPv4 hook points and NF_HOOK (include/linux/netfilter.h).
 *
 * Hooks run in ascending priority order; each returns NF_ACCEPT (continue),
 * NF_DROP (the packet is freed, counted as NETFILTER_DROP) or NF_STOLEN (the
 * hook took the packet).  The IP paths call NF_HOOK exactly where Linux does:
 *   ip_rcv -> PRE_ROUTING;  ip_local_deliver -> LOCAL_IN;  ip_forward -> FORWARD;
 *   ip_local_out -> LOCAL_OUT;  ip_output -> POST_ROUTING.
 */
#ifndef SKBOS_NETFILTER_H
#define SKBOS_NETFILTER_H

#include "types.h"
#include "list.h"
#include "skbuff.h"

struct stack;
struct net_device;

enum nf_inet_hooks {
	NF_INET_PRE_ROUTING,
	NF_INET_LOCAL_IN,
	NF_INET_FORWARD,
	NF_INET_LOCAL_OUT,
	NF_INET_POST_ROUTING,
	NF_INET_NUMHOOKS
};

#define NF_DROP 0
#define NF_ACCEPT 1
#define NF_STOLEN 2

struct nf_hook_state {
	u8 hook;
	struct net_device *in;
	struct net_device *out;
};

typedef unsigned int nf_hookfn(void *priv, struct sk_buff *skb, const struct nf_hook_state *state);

struct nf_hook_ops {
	struct list_head list;
	nf_hookfn *hook;
	void *priv;
	u8 hooknum;
	int priority;
};

int nf_register_net_hook(struct stack *st, struct nf_hook_ops *ops);
void nf_unregister_net_hook(struct stack *st, struct nf_hook_ops *ops);
int nf_hook_slow(struct stack *st, u8 hook, struct sk_buff *skb, struct net_device *in,
		 struct net_device *out, int (*okfn)(struct sk_buff *));

/* A macro, so that it expands where struct stack is complete. */
#define nf_hooks_active(st, hook) (!list_empty(&(st)->ipv4.nf_hooks[hook]))

/**
 * NF_HOOK - run @hook's chain on @skb, then @okfn if every hook accepted.
 * Consumes @skb.  Return: okfn's result, 0 if stolen, -EPERM if dropped.
 */
#define NF_HOOK(st, hook, skb, in, out, okfn)                                  \
	(likely(!nf_hooks_active(st, hook)) ? (okfn)(skb)                      \
					    : nf_hook_slow(st, hook, skb, in, out, okfn))

#endif /* SKBOS_NETFILTER_H */
