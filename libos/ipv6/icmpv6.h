/*
 * icmpv6.h - ICMPv6 (RFC 4443; net/ipv6/icmp.c): the header, types and
 * codes, and the entry points.
 *
 *   ip6_input_finish -> icmpv6_rcv (checksum) -> echo reply
 *                                  -> ndisc_rcv (types 133-137)
 *                                  -> icmpv6_notify -> inet6_protocol->err_handler
 *   input paths / reassembly -> icmpv6_send (errors out, rate limited)
 */
#ifndef SKBOS_ICMPV6_H
#define SKBOS_ICMPV6_H

#include "ipv6.h"

struct icmp6hdr {
	u8 icmp6_type;
	u8 icmp6_code;
	__sum16 icmp6_cksum;
	union {
		__be32 un_data32[1];
		__be16 un_data16[2];
	} icmp6_dataun;
} __attribute__((packed));
#define icmp6_pointer icmp6_dataun.un_data32[0]
#define icmp6_mtu icmp6_dataun.un_data32[0]
#define icmp6_identifier icmp6_dataun.un_data16[0]
#define icmp6_sequence icmp6_dataun.un_data16[1]

#define ICMPV6_DEST_UNREACH 1
#define ICMPV6_PKT_TOOBIG 2
#define ICMPV6_TIME_EXCEED 3
#define ICMPV6_PARAMPROB 4
#define ICMPV6_ECHO_REQUEST 128
#define ICMPV6_ECHO_REPLY 129

/* Destination Unreachable codes (§3.1) */
#define ICMPV6_NOROUTE 0
#define ICMPV6_ADM_PROHIBITED 1
#define ICMPV6_NOT_NEIGHBOUR 2
#define ICMPV6_ADDR_UNREACH 3
#define ICMPV6_PORT_UNREACH 4
/* Time Exceeded codes (§3.3) */
#define ICMPV6_EXC_HOPLIMIT 0
#define ICMPV6_EXC_FRAGTIME 1
/* Parameter Problem codes (§3.4) */
#define ICMPV6_HDR_FIELD 0
#define ICMPV6_UNK_NEXTHDR 1
#define ICMPV6_UNK_OPTION 2

static inline struct icmp6hdr *icmp6_hdr(const struct sk_buff *skb)
{
	return (struct icmp6hdr *)(void *)skb_transport_header(skb);
}

__sum16 csum_ipv6_magic(const struct in6_addr *saddr, const struct in6_addr *daddr, u32 len,
			u8 proto, __wsum sum);
void icmpv6_send(struct sk_buff *skb, u8 type, u8 code, u32 info);
void icmpv6_param_prob(struct sk_buff *skb, u8 code, unsigned int pos);
int icmpv6_push_and_send(struct net_device *dev, struct sk_buff *skb,
			 const struct in6_addr *saddr, const struct in6_addr *daddr, u8 hop_limit);
int icmpv6_rcv(struct sk_buff *skb);
int icmpv6_err_convert(u8 type, u8 code, bool *fatal);
int icmpv6_init(struct stack *st);
void icmpv6_exit(struct stack *st);

#endif /* SKBOS_ICMPV6_H */
