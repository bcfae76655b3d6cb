/*
 * icmp.h - ICMP (RFC 792, RFC 1122 §3.2.2): echo, errors out, errors in.
 *
 *   ip_local_deliver -> icmp_rcv -> echo reply | error -> net_protocol->err_handler
 *   icmp_send: port/protocol unreachable, time exceeded, frag needed ...
 *   icmp_local_error: a failure inside this stack (unresolved neighbour)
 *   reported to the sending transport as if an ICMP error had come back
 */
#ifndef SKBOS_ICMP_H
#define SKBOS_ICMP_H

#include "types.h"
#include "skbuff.h"

struct stack;

#define ICMP_ECHOREPLY 0
#define ICMP_DEST_UNREACH 3
#define ICMP_SOURCE_QUENCH 4
#define ICMP_REDIRECT 5
#define ICMP_ECHO 8
#define ICMP_TIME_EXCEEDED 11
#define ICMP_PARAMETERPROB 12
#define NR_ICMP_TYPES 18

/* ICMP_DEST_UNREACH codes */
#define ICMP_NET_UNREACH 0
#define ICMP_HOST_UNREACH 1
#define ICMP_PROT_UNREACH 2
#define ICMP_PORT_UNREACH 3
#define ICMP_FRAG_NEEDED 4
#define ICMP_SR_FAILED 5
#define NR_ICMP_UNREACH 15
/* ICMP_TIME_EXCEEDED codes */
#define ICMP_EXC_TTL 0
#define ICMP_EXC_FRAGTIME 1

struct icmphdr {
	u8 type;
	u8 code;
	__sum16 checksum;
	union {
		struct {
			__be16 id;
			__be16 sequence;
		} echo;
		__be32 gateway;
		struct {
			__be16 unused;
			__be16 mtu;
		} frag;
	} un;
} __attribute__((packed, aligned(2)));

static inline struct icmphdr *icmp_hdr(const struct sk_buff *skb)
{
	return (struct icmphdr *)(void *)skb_transport_header(skb);
}

void icmp_send(struct sk_buff *skb_in, u8 type, u8 code, __be32 info);
void icmp_local_error(struct sk_buff *skb, u8 type, u8 code, u32 info);
void icmp_err_update_pmtu(struct sk_buff *skb, u8 type, u8 code, u32 info);
int icmp_rcv(struct sk_buff *skb);
int icmp_err_convert(u8 type, u8 code, bool *fatal);
int icmp_init(struct stack *st);
void icmp_exit(struct stack *st);

#endif /* SKBOS_ICMP_H */
