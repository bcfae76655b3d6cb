/*
 * inet.h - two IPv4 stacks on a wire (A = 10.0.0.1, B = 10.0.0.2, /24),
 * and a builder for crafted IPv4 frames injected straight into a device
 * (the lwIP habit: complete frames with valid checksums unless told not).
 */
#ifndef SKBOS_TEST_INET_H
#define SKBOS_TEST_INET_H

#include "world.h"
#include "wire.h"
#include "ip.h"

#define ADDR_A "10.0.0.1"
#define ADDR_B "10.0.0.2"

struct inet_pair {
	struct world w;
	struct wire *wire;
	struct net_device *da, *db;
	__be32 a, b;
};

struct failslab;
int inet_pair_build(struct inet_pair *p, struct failslab *fs);
void inet_pair_setup(struct inet_pair *p);
void inet_pair_teardown(struct inet_pair *p);
__be32 ip4(const char *s);

/**
 * struct ipspec - a crafted IPv4 datagram.  Zero fields get sane defaults:
 * version 4, ihl 5, ttl 64, tot_len computed, checksum valid.
 */
struct ipspec {
	__be32 saddr, daddr;
	u8 proto;
	u8 ttl;
	u8 tos;          /* the TOS byte, ECN bits included (RFC 3168 §5) */
	u8 version;      /* 0: 4 */
	u8 ihl;          /* 0: 5 (options are NOPs) */
	u16 id;
	u16 frag_off;    /* host order: flags | offset/8 */
	int tot_len_adj; /* added to the computed tot_len */
	bool bad_csum;
	const void *payload;
	unsigned int len;
	unsigned int pad;   /* link padding after the datagram */
	const u8 *dst_mac;  /* 0: the receiving device's */
};

unsigned int build_ip_frame(u8 *buf, const struct ipspec *s, const u8 *src_mac, const u8 *dst_mac);
void inject_frame(struct net_device *dev, const void *frame, unsigned int len);
void inject_ip(struct net_device *dev, const struct ipspec *s);
unsigned int build_icmp_echo(u8 *buf, u8 type, u16 id, u16 seq, const void *data, unsigned int len);
u64 mib(const struct stack *st, enum snmp_mib m);
u64 drops(const struct stack *st, enum skb_drop_reason r);

#endif
