/*
 * ipv6.h - IPv6 (RFC 8200): the header and its extension headers, the
 * per-packet control block, address classes, the flow key of an output
 * route, the transport table, and the entry points of libos/ipv6
 * (Linux's include/net/ipv6.h, net/ipv6/).
 *
 *   transmit: transport / icmpv6 / ndisc -> ip6_xmit (push ipv6hdr)
 *             -> dst_output = ip6_output -> ip6_finish_output (ip6_fragment)
 *             -> ip6_finish_output2 -> neighbour (nd_tbl) -> dev_queue_xmit
 *   receive:  netif_receive_skb -> ipv6_rcv (validate, hop-by-hop)
 *             -> ip6_route_input -> ip6_input -> ip6_input_finish: the
 *             extension header walk (routing, fragment: ipv6_frag_rcv,
 *             destination options) -> inet6_protocol->handler (icmpv6_rcv)
 *
 * Read first: RFC 8200 §3-§4 (header, extension headers and their order),
 * RFC 4443 (ICMPv6), RFC 4861 (Neighbour Discovery), RFC 4862 §5.4 (DAD).
 */
#ifndef SKBOS_IPV6_H
#define SKBOS_IPV6_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "types.h"
#include "skbuff.h"

struct stack;
struct net_device;
struct packet_type;
struct neighbour;

#define IPV6_MIN_MTU 1280 /* RFC 8200 §5 */
#define IPV6_DEFAULT_HOPLIMIT 64

/* RFC 8200 §4 "Next Header" values (IANA protocol numbers). */
#define NEXTHDR_HOP 0
#define NEXTHDR_TCP 6
#define NEXTHDR_UDP 17
#define NEXTHDR_ROUTING 43
#define NEXTHDR_FRAGMENT 44
#define NEXTHDR_ESP 50
#define NEXTHDR_AUTH 51
#define NEXTHDR_ICMP 58
#define NEXTHDR_NONE 59
#define NEXTHDR_DEST 60

/* RFC 8200 §3; bitfield order as Linux's struct ipv6hdr. */
struct ipv6hdr {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	u8 priority : 4, version : 4;
#else
	u8 version : 4, priority : 4;
#endif
	u8 flow_lbl[3];
	__be16 payload_len;
	u8 nexthdr;
	u8 hop_limit;
	struct in6_addr saddr;
	struct in6_addr daddr;
} __attribute__((packed, aligned(4)));

/* The generic extension header: hop-by-hop and destination options (§4.3, §4.6). */
struct ipv6_opt_hdr {
	u8 nexthdr;
	u8 hdrlen; /* in 8-octet units, not counting the first 8 */
} __attribute__((packed));

#define ipv6_optlen(p) (((p)->hdrlen + 1) << 3)

/* §4.4 routing header. */
struct ipv6_rt_hdr {
	u8 nexthdr;
	u8 hdrlen;
	u8 type;
	u8 segments_left;
} __attribute__((packed));

/* §4.5 fragment header. */
struct frag_hdr {
	u8 nexthdr;
	u8 reserved;
	__be16 frag_off; /* offset in 8-octet units << 3, 2 reserved bits, M */
	__be32 identification;
} __attribute__((packed));

#define IP6_MF 0x0001
#define IP6_OFFSET 0xFFF8

/* Option types with their own meaning (§4.2; RFC 2711 router alert). */
#define IPV6_TLV_PAD1 0
#define IPV6_TLV_PADN 1
#define IPV6_TLV_ROUTERALERT 5

static inline struct ipv6hdr *ipv6_hdr(const struct sk_buff *skb)
{
	return (struct ipv6hdr *)(void *)skb_network_header(skb);
}

/**
 * struct inet6_skb_parm - IP6CB(skb): what IPv6 learned about a packet.
 * @iif: ifindex it arrived on
 * @nhoff: offset from the network header of the "next header" byte that
 *	names the header being processed (so a reassembled packet can
 *	rewrite it, and a Parameter Problem can point at it)
 * @flags: IP6SKB_*
 * @frag_max_size: largest fragment seen when it was reassembled
 */
struct inet6_skb_parm {
	int iif;
	u16 nhoff;
	u16 flags;
	u16 frag_max_size;
};
#define IP6SKB_FRAGMENTED (1u << 0) /* reassembled from fragments */
#define IP6CB(skb) ((struct inet6_skb_parm *)(void *)((skb)->cb))

/* ---- addresses ----------------------------------------------------------- */

static inline bool ipv6_addr_equal(const struct in6_addr *a, const struct in6_addr *b)
{
	return !memcmp(a, b, sizeof(*a));
}

/* The Traffic Class byte (RFC 8200 §7): DSCP and, low two bits, ECN (RFC 3168 §5). */
static inline u8 ipv6_get_dsfield(const struct ipv6hdr *ip6h)
{
	return (u8)(ip6h->priority << 4 | ip6h->flow_lbl[0] >> 4);
}

static inline void ipv6_set_dsfield(struct ipv6hdr *ip6h, u8 tclass)
{
	ip6h->priority = tclass >> 4;
	ip6h->flow_lbl[0] = (u8)((ip6h->flow_lbl[0] & 0x0f) | (tclass << 4));
}

/* ipv6_addr_hash - 32 bits of @a for a hash table key (not a secret). */
static inline u32 ipv6_addr_hash(const struct in6_addr *a)
{
	u32 w[4];

	memcpy(w, a, sizeof(w));
	return w[0] ^ w[1] ^ w[2] ^ w[3];
}

static inline bool ipv6_addr_any(const struct in6_addr *a)
{
	static const struct in6_addr any;

	return ipv6_addr_equal(a, &any);
}

static inline bool ipv6_addr_is_multicast(const struct in6_addr *a)
{
	return a->s6_addr[0] == 0xff;
}

static inline bool ipv6_addr_loopback(const struct in6_addr *a)
{
	return IN6_IS_ADDR_LOOPBACK(a);
}

static inline bool ipv6_addr_linklocal(const struct in6_addr *a)
{
	return a->s6_addr[0] == 0xfe && (a->s6_addr[1] & 0xc0) == 0x80;
}

static inline bool ipv6_addr_v4mapped(const struct in6_addr *a)
{
	return IN6_IS_ADDR_V4MAPPED(a);
}

/* ff02::1, all nodes on the link (RFC 4291 §2.7.1). */
static inline bool ipv6_addr_is_ll_all_nodes(const struct in6_addr *a)
{
	static const struct in6_addr all = { { { 0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 } } };

	return ipv6_addr_equal(a, &all);
}

/** ipv6_prefix_equal - @a and @b share their first @plen bits. */
static inline bool ipv6_prefix_equal(const struct in6_addr *a, const struct in6_addr *b,
				     unsigned int plen)
{
	unsigned int bytes = plen / 8, bits = plen % 8;

	if (memcmp(a, b, bytes))
		return false;
	return !bits || !((a->s6_addr[bytes] ^ b->s6_addr[bytes]) & (0xff00u >> bits));
}

/** ipv6_addr_prefix - @pfx = the first @plen bits of @addr, the rest zero. */
static inline void ipv6_addr_prefix(struct in6_addr *pfx, const struct in6_addr *addr,
				    unsigned int plen)
{
	unsigned int bytes = plen / 8, bits = plen % 8;

	memset(pfx, 0, sizeof(*pfx));
	memcpy(pfx, addr, bytes);
	if (bits)
		pfx->s6_addr[bytes] = (u8)(addr->s6_addr[bytes] & (0xff00u >> bits));
}

/* RFC 4291 §2.7.1: the solicited-node group of @addr, ff02::1:ffXX:XXXX. */
static inline void addrconf_addr_solict_mult(const struct in6_addr *addr, struct in6_addr *mc)
{
	memset(mc, 0, sizeof(*mc));
	mc->s6_addr[0] = 0xff;
	mc->s6_addr[1] = 0x02;
	mc->s6_addr[11] = 0x01;
	mc->s6_addr[12] = 0xff;
	memcpy(&mc->s6_addr[13], &addr->s6_addr[13], 3);
}

/* RFC 2464 §7: an IPv6 multicast group's Ethernet address, 33:33 + low 32 bits. */
static inline void ipv6_eth_mc_map(const struct in6_addr *addr, u8 *mac)
{
	mac[0] = 0x33;
	mac[1] = 0x33;
	memcpy(mac + 2, &addr->s6_addr[12], 4);
}

/**
 * struct flowi6 - what an output route lookup is asked.
 * @saddr: unspecified to let the route choose the source address
 * @oif: ifindex to leave by (required for link-local and multicast), or 0
 */
struct flowi6 {
	struct in6_addr daddr;
	struct in6_addr saddr;
	int oif;
	u8 proto;
};

/**
 * struct inet6_protocol - a transport's receive hooks (include/net/protocol.h).
 * @handler: gets an skb whose data is at the transport header, the IPv6
 *	header at the network header; consumes it
 * @err_handler: an ICMPv6 error about a packet this stack sent; skb->data
 *	is at the quoted IPv6 header's transport header (@offset into the
 *	quoted packet); borrows the skb; @info is the MTU of Packet Too Big
 */
struct inet6_protocol {
	int (*handler)(struct sk_buff *skb);
	int (*err_handler)(struct sk_buff *skb, u8 type, u8 code, int offset, __be32 info);
};

int inet6_add_protocol(struct stack *st, const struct inet6_protocol *prot, u8 protocol);
int inet6_del_protocol(struct stack *st, const struct inet6_protocol *prot, u8 protocol);

/* af_inet6.c */
struct socket;
extern const struct net_proto_family *const inet6_families[];
int inet6_create(struct stack *st, struct socket *sock, int protocol);

/* udp_ipv6.c */
int udpv6_init(struct stack *st);
void udpv6_exit(struct stack *st);
int udpv6_rcv(struct sk_buff *skb);

/* tcp_ipv6.c */
int tcpv6_init(struct stack *st);
void tcpv6_exit(struct stack *st);

/* ip6_input.c */
int ipv6_rcv(struct sk_buff *skb, struct net_device *dev, struct packet_type *pt);
int ip6_input(struct sk_buff *skb);
int ipv6_align(struct sk_buff *skb);
int ip6_forward(struct sk_buff *skb);

/* exthdrs.c */
int ipv6_parse_hopopts(struct sk_buff *skb);
int ipv6_destopt_rcv(struct sk_buff *skb, unsigned int *off);
int ipv6_rthdr_rcv(struct sk_buff *skb, unsigned int *off);

/* ip6_output.c */
int ip6_output(struct sk_buff *skb);
int ip6_xmit(struct stack *st, struct sk_buff *skb, const struct in6_addr *saddr,
	     const struct in6_addr *daddr, u8 proto, u8 hop_limit, u8 tclass);
__be32 ipv6_select_ident(struct stack *st, const struct in6_addr *daddr,
			 const struct in6_addr *saddr);

/* ip6_fragment.c (reassembly.c in Linux) */
int ip6_fragment(struct sk_buff *skb, unsigned int mtu, int (*output)(struct sk_buff *));
int ipv6_frag_rcv(struct sk_buff **pskb, unsigned int *off);
int ip6frag_init(struct stack *st);
void ip6frag_exit(struct stack *st);
unsigned int ip6frag_queue_count(const struct stack *st);

#endif /* SKBOS_IPV6_H */
