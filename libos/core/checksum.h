/*
 * checksum.h - the Internet checksum (RFC 1071) in the kernel's vocabulary:
 * a 32-bit partial sum (__wsum) is accumulated with csum_partial() and folded
 * to the 16-bit one's complement result (__sum16) with csum_fold().
 *
 * Sums are taken over 16-bit words in memory order with native loads, so the
 * folded result can be stored straight into a header field: the one's
 * complement sum is byte-order independent (RFC 1071 §2(B)).
 */
#ifndef SKBOS_CHECKSUM_H
#define SKBOS_CHECKSUM_H

#include <arpa/inet.h>
#include "types.h"

struct sk_buff;

__wsum csum_partial(const void *buf, unsigned int len, __wsum sum);
__wsum skb_checksum(const struct sk_buff *skb, unsigned int offset, unsigned int len, __wsum sum);
int skb_checksum_help(struct sk_buff *skb);

static inline u32 csum_fold64(u64 s)
{
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffffffu) + (s >> 32);
	return (u32)s;
}

/** csum_fold - fold a 32-bit partial sum to the final 16-bit checksum. */
static inline __sum16 csum_fold(__wsum csum)
{
	u32 s = csum;

	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (__sum16)~s;
}

static inline __wsum csum_add(__wsum a, __wsum b)
{
	return csum_fold64((u64)a + b);
}

static inline __wsum csum_sub(__wsum a, __wsum b)
{
	return csum_add(a, ~b);
}

static inline __wsum csum_unfold(__sum16 n)
{
	return (__wsum)n;
}

/** ip_fast_csum - the IPv4 header checksum over @ihl 32-bit words; 0 if valid. */
static inline __sum16 ip_fast_csum(const void *iph, unsigned int ihl)
{
	return csum_fold(csum_partial(iph, ihl * 4, 0));
}

/** ip_compute_csum - the checksum of a whole buffer (ICMP). */
static inline __sum16 ip_compute_csum(const void *buf, unsigned int len)
{
	return csum_fold(csum_partial(buf, len, 0));
}

/** csum_tcpudp_nofold - add the IPv4 pseudo-header (RFC 793 §3.1, RFC 768). */
static inline __wsum csum_tcpudp_nofold(__be32 saddr, __be32 daddr, u32 len, u8 proto, __wsum sum)
{
	u64 s = sum;

	s += saddr;
	s += daddr;
	s += htons((u16)len);
	s += htons(proto);
	return csum_fold64(s);
}

static inline __sum16 csum_tcpudp_magic(__be32 saddr, __be32 daddr, u32 len, u8 proto, __wsum sum)
{
	return csum_fold(csum_tcpudp_nofold(saddr, daddr, len, proto, sum));
}

#endif /* SKBOS_CHECKSUM_H */
