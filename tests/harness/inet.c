/*
 * inet.c - IPv4 test helpers (inet.h).
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "inet.h"
#include "frames.h"
#include "eth.h"
#include "checksum.h"
#include "icmp.h"
#include "inetdevice.h"

__be32 ip4(const char *s)
{
	__be32 a;

	cr_assert(eq(int, inet_pton4(s, &a, NULL), 0), "bad test address %s", s);
	return a;
}

/**
 * inet_pair_build - the two stacks, the wire and the addresses, each step
 * allowed to fail (fault injection under @fs, which both stacks share; NULL:
 * none): Return: 0 or the first -errno; what was built is left for
 * inet_pair_teardown().
 */
int inet_pair_build(struct inet_pair *p, struct failslab *fs)
{
	int rc;

	memset(p, 0, sizeof(*p));
	p->w.now = WORLD_T0;
	p->w.failslab = fs;
	p->a = ip4(ADDR_A);
	p->b = ip4(ADDR_B);
	if ((rc = world_add_stack(&p->w)) || (rc = world_add_stack(&p->w)))
		return rc;
	p->wire = wire_create(p->w.st[0], "wa", mac_a, p->w.st[1], "wb", mac_b);
	if (!p->wire)
		return -ENOMEM;
	p->da = wire_dev(p->wire, 0);
	p->db = wire_dev(p->wire, 1);
	if ((rc = inet_addr_add(p->da, p->a, 24)) || (rc = inet_addr_add(p->db, p->b, 24)))
		return rc;
	world_run(&p->w); /* the gratuitous ARPs */
	return 0;
}

void inet_pair_setup(struct inet_pair *p)
{
	cr_assert(eq(int, inet_pair_build(p, NULL), 0));
}

void inet_pair_teardown(struct inet_pair *p)
{
	wire_destroy(p->wire);
	p->wire = NULL;
	world_fini(&p->w);
}

unsigned int build_ip_frame(u8 *buf, const struct ipspec *s, const u8 *src_mac, const u8 *dst_mac)
{
	struct ethhdr *eth = (struct ethhdr *)(void *)buf;
	struct iphdr *iph = (struct iphdr *)(void *)(buf + ETH_HLEN);
	unsigned int ihl = s->ihl ? s->ihl : 5, hlen = ihl * 4;

	memcpy(eth->h_dest, s->dst_mac ? s->dst_mac : dst_mac, ETH_ALEN);
	memcpy(eth->h_source, src_mac, ETH_ALEN);
	eth->h_proto = htons(ETH_P_IP);
	memset(iph, 0, hlen);
	iph->version = s->version ? s->version : 4;
	iph->ihl = ihl & 0xf;
	iph->ttl = s->ttl ? s->ttl : 64;
	iph->tos = s->tos;
	iph->protocol = s->proto;
	iph->id = htons(s->id);
	iph->frag_off = htons(s->frag_off);
	iph->saddr = s->saddr;
	iph->daddr = s->daddr;
	iph->tot_len = htons((u16)((int)(hlen + s->len) + s->tot_len_adj));
	if (hlen > sizeof(*iph))
		memset(iph + 1, 1 /* NOP */, hlen - sizeof(*iph));
	if (s->len)
		memcpy(buf + ETH_HLEN + hlen, s->payload, s->len);
	memset(buf + ETH_HLEN + hlen + s->len, 0, s->pad);
	iph->check = 0;
	iph->check = ip_fast_csum(iph, ihl < 5 ? 5 : ihl);
	if (s->bad_csum)
		iph->check ^= 0x0101;
	return ETH_HLEN + hlen + s->len + s->pad;
}

/** inject_frame - as if @dev had just received @frame (runs the receive path now). */
void inject_frame(struct net_device *dev, const void *frame, unsigned int len)
{
	struct sk_buff *skb = netdev_alloc_skb(dev, len);

	cr_assert(not(eq(ptr, skb, NULL)));
	skb_put_data(skb, frame, len);
	eth_rx(skb, dev);
}

void inject_ip(struct net_device *dev, const struct ipspec *s)
{
	static u8 buf[70000];
	unsigned int len = build_ip_frame(buf, s, mac_a, dev->dev_addr);

	inject_frame(dev, buf, len);
}

unsigned int build_icmp_echo(u8 *buf, u8 type, u16 id, u16 seq, const void *data, unsigned int len)
{
	struct icmphdr *h = (struct icmphdr *)(void *)buf;

	h->type = type;
	h->code = 0;
	h->checksum = 0;
	h->un.echo.id = htons(id);
	h->un.echo.sequence = htons(seq);
	if (len)
		memcpy(buf + sizeof(*h), data, len);
	h->checksum = ip_compute_csum(buf, sizeof(*h) + len);
	return (unsigned int)sizeof(*h) + len;
}

u64 mib(const struct stack *st, enum snmp_mib m)
{
	return st->mib[m];
}

u64 drops(const struct stack *st, enum skb_drop_reason r)
{
	return st->drops[r];
}
