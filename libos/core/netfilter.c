/*
 * netfilter.c - hook registration and the slow path of NF_HOOK
 * (net/netfilter/core.c).  See netfilter.h for where the hooks sit.
 */
#include "netfilter.h"
#include "stack.h"

/**
 * nf_register_net_hook - add @ops to its hook's chain, after every hook of
 * lower or equal priority (equal priorities run in registration order).
 * Return: 0 or -EINVAL for a bad hook number.
 */
int nf_register_net_hook(struct stack *st, struct nf_hook_ops *ops)
{
	struct nf_hook_ops *pos;
	struct list_head *chain;

	if (ops->hooknum >= NF_INET_NUMHOOKS || !ops->hook)
		return -EINVAL;
	chain = &st->ipv4.nf_hooks[ops->hooknum];
	list_for_each_entry(pos, chain, list)
		if (pos->priority > ops->priority)
			break;
	list_add_tail(&ops->list, &pos->list);
	return 0;
}

void nf_unregister_net_hook(struct stack *st, struct nf_hook_ops *ops)
{
	(void)st;
	list_del_init(&ops->list);
}

/**
 * nf_hook_slow - run the chain of @hook; consumes @skb.
 * Return: okfn's result if all accepted, 0 if a hook stole the packet,
 * -EPERM if one dropped it (freed as NETFILTER_DROP).
 */
int nf_hook_slow(struct stack *st, u8 hook, struct sk_buff *skb, struct net_device *in,
		 struct net_device *out, int (*okfn)(struct sk_buff *))
{
	struct nf_hook_state state = { .hook = hook, .in = in, .out = out };
	struct nf_hook_ops *ops, *tmp;

	list_for_each_entry_safe(ops, tmp, &st->ipv4.nf_hooks[hook], list) {
		switch (ops->hook(ops->priv, skb, &state)) {
		case NF_ACCEPT:
			continue;
		case NF_STOLEN:
			return 0;
		default:
			kfree_skb_reason(skb, SKB_DROP_REASON_NETFILTER_DROP);
			return -EPERM;
		}
	}
	return okfn(skb);
}
