/*
 * test_checksum.c - the Internet checksum (libos/core/checksum.c, checksum.h)
 * against values skbos did not compute: RFC 1071's worked example, the IPv4
 * header of Wikipedia's "IPv4 header checksum" article, and three frames a
 * Linux kernel sent over a veth pair with transmit checksum offload off
 * (`ethtool -K vethX tx off`, captured with tcpdump, which reported every
 * checksum correct).  Every other suite checks skbos's checksums with
 * skbos's own functions; these vectors are what keeps that from being
 * circular.
 */
#include <string.h>
#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "checksum.h"
#include "skbuff.h"
#include "stack.h"
#include "ip.h"

/* RFC 1071 §3, "Numerical Examples": the bytes 00 01 f2 03 f4 f5 f6 f7 sum
 * (one's complement, big-endian words) to 0xddf2; the checksum is its
 * complement, 0x220d. */
static const u8 rfc1071_bytes[8] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };

/* Wikipedia, "Internet checksum" / "IPv4 header checksum": a header whose
 * checksum field (bytes 10-11) is 0xb861. */
static const u8 wiki_iph[20] = {
	0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
	0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
};

/* Captured: UDP 192.0.2.1:4242 -> 192.0.2.2:7777, 22 bytes of payload
 * "skbos checksum vector\n"; IP checksum 0x7aa8, UDP checksum 0xedbf. */
static const u8 cap_udp[50] = {
	0x45, 0x00, 0x00, 0x32, 0x3c, 0x0f, 0x40, 0x00, 0x40, 0x11, 0x7a, 0xa8,
	0xc0, 0x00, 0x02, 0x01, 0xc0, 0x00, 0x02, 0x02,
	0x10, 0x92, 0x1e, 0x61, 0x00, 0x1e, 0xed, 0xbf,
	0x73, 0x6b, 0x62, 0x6f, 0x73, 0x20, 0x63, 0x68, 0x65, 0x63, 0x6b,
	0x73, 0x75, 0x6d, 0x20, 0x76, 0x65, 0x63, 0x74, 0x6f, 0x72, 0x0a,
};

/* Captured: TCP SYN 192.0.2.1:4343 -> 192.0.2.2:8888 with MSS, SACK-permitted,
 * timestamps and window scale; IP checksum 0x30de, TCP checksum 0x09ef. */
static const u8 cap_syn[60] = {
	0x45, 0x00, 0x00, 0x3c, 0x85, 0xda, 0x40, 0x00, 0x40, 0x06, 0x30, 0xde,
	0xc0, 0x00, 0x02, 0x01, 0xc0, 0x00, 0x02, 0x02,
	0x10, 0xf7, 0x22, 0xb8, 0x84, 0xbd, 0xaa, 0xbf, 0x00, 0x00, 0x00, 0x00,
	0xa0, 0x02, 0xfa, 0xf0, 0x09, 0xef, 0x00, 0x00,
	0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x4f, 0xf3, 0x0b, 0xfa,
	0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x0a,
};

/* Captured: the SYN-ACK answering it; IP checksum 0xb6b8, TCP 0x017a. */
static const u8 cap_synack[60] = {
	0x45, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x40, 0x00, 0x40, 0x06, 0xb6, 0xb8,
	0xc0, 0x00, 0x02, 0x02, 0xc0, 0x00, 0x02, 0x01,
	0x22, 0xb8, 0x10, 0xf7, 0xc6, 0x31, 0x76, 0x28, 0x84, 0xbd, 0xaa, 0xc0,
	0xa0, 0x12, 0xfe, 0x88, 0x01, 0x7a, 0x00, 0x00,
	0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x7d, 0xda, 0x4a, 0x97,
	0x4f, 0xf3, 0x0b, 0xfa, 0x01, 0x03, 0x03, 0x0a,
};

/* The two bytes a folded checksum puts on the wire, first byte high. */
static u16 wire16(__sum16 sum)
{
	u8 b[2];

	memcpy(b, &sum, 2);
	return (u16)(b[0] << 8 | b[1]);
}

/* A checksum recomputed with its field zeroed, as a sender does. */
static u16 ip_header_csum(const u8 *pkt)
{
	u8 h[60];
	unsigned int ihl = (pkt[0] & 0xf) * 4u;

	memcpy(h, pkt, ihl);
	h[10] = h[11] = 0;
	return wire16(ip_fast_csum(h, ihl / 4));
}

static u16 l4_csum(const u8 *pkt, unsigned int check_off)
{
	u8 p[64];
	unsigned int ihl = (pkt[0] & 0xf) * 4u, tot = (unsigned int)(pkt[2] << 8 | pkt[3]);
	__be32 saddr, daddr;

	memcpy(p, pkt, tot);
	p[ihl + check_off] = p[ihl + check_off + 1] = 0;
	memcpy(&saddr, p + 12, 4);
	memcpy(&daddr, p + 16, 4);
	return wire16(csum_tcpudp_magic(saddr, daddr, tot - ihl, p[9], csum_partial(p + ihl, tot - ihl, 0)));
}

static bool l4_valid(const u8 *pkt)
{
	unsigned int ihl = (pkt[0] & 0xf) * 4u, tot = (unsigned int)(pkt[2] << 8 | pkt[3]);
	__be32 saddr, daddr;

	memcpy(&saddr, pkt + 12, 4);
	memcpy(&daddr, pkt + 16, 4);
	return csum_tcpudp_magic(saddr, daddr, tot - ihl, pkt[9], csum_partial(pkt + ihl, tot - ihl, 0)) == 0;
}

Test(checksum, rfc1071_worked_example)
{
	__wsum sum = csum_partial(rfc1071_bytes, sizeof(rfc1071_bytes), 0);

	/* the folded sum before the complement is 0xddf2, the checksum 0x220d */
	cr_assert(eq(u16, wire16((__sum16)~csum_fold(sum)), 0xddf2));
	cr_assert(eq(u16, wire16(csum_fold(sum)), 0x220d));
}

/* RFC 1071 §2(B): the sum does not depend on where the buffer starts. */
Test(checksum, rfc1071_example_at_every_alignment)
{
	u8 buf[8 + 16];

	for (unsigned int off = 0; off < 16; off++) {
		memset(buf, 0xa5, sizeof(buf));
		memcpy(buf + off, rfc1071_bytes, sizeof(rfc1071_bytes));
		cr_assert(eq(u16, wire16(ip_compute_csum(buf + off, 8)), 0x220d), "offset %u", off);
	}
}

/* RFC 1071 §4.1: an odd last byte is summed as if padded with a zero. */
Test(checksum, odd_length_pads_with_zero)
{
	static const u8 odd[7] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6 };

	/* 0x0001 + 0xf203 + 0xf4f5 + 0xf600 = 0x2dcf9 -> 0xdcfb, complement 0x2304 */
	cr_assert(eq(u16, wire16(ip_compute_csum(odd, sizeof(odd))), 0x2304));
}

Test(checksum, ipv4_header_published_vector)
{
	cr_assert(eq(u16, ip_header_csum(wiki_iph), 0xb861));
	cr_assert(eq(u16, ip_fast_csum(wiki_iph, 5), 0), "a valid header sums to zero");
}

Test(checksum, ipv4_headers_of_captured_frames)
{
	cr_assert(eq(u16, ip_header_csum(cap_udp), 0x7aa8));
	cr_assert(eq(u16, ip_header_csum(cap_syn), 0x30de));
	cr_assert(eq(u16, ip_header_csum(cap_synack), 0xb6b8));
}

Test(checksum, udp_of_captured_frame)
{
	cr_assert(eq(u16, l4_csum(cap_udp, 6), 0xedbf));
	cr_assert(l4_valid(cap_udp));
}

Test(checksum, tcp_of_captured_frames)
{
	cr_assert(eq(u16, l4_csum(cap_syn, 16), 0x09ef));
	cr_assert(eq(u16, l4_csum(cap_synack, 16), 0x017a));
	cr_assert(l4_valid(cap_syn));
	cr_assert(l4_valid(cap_synack));
}

Test(checksum, one_flipped_bit_is_caught)
{
	u8 p[sizeof(cap_syn)];

	for (unsigned int i = 20; i < sizeof(p); i++) {
		memcpy(p, cap_syn, sizeof(p));
		p[i] ^= 0x10;
		cr_assert(not(l4_valid(p)), "bit flipped in byte %u", i);
	}
}

/*
 * skb_checksum_help, as a device without offload sees tcp_transmit_skb's
 * output: the pseudo-header sum in the field, CHECKSUM_PARTIAL.  It must
 * write what the kernel put on the wire.
 */
Test(checksum, skb_checksum_help_writes_the_captured_tcp_checksum)
{
	struct stack *st = stack_new(&(struct stack_params){ .families = inet_families });
	struct sk_buff *skb;
	__be32 saddr, daddr;
	u8 *th;

	cr_assert(not(eq(ptr, st, NULL)));
	skb = alloc_skb(st, 128);
	cr_assert(not(eq(ptr, skb, NULL)));
	skb_reserve(skb, 20);
	th = skb_put_data(skb, cap_syn + 20, 40);
	memcpy(&saddr, cap_syn + 12, 4);
	memcpy(&daddr, cap_syn + 16, 4);
	__sum16 pseudo = (__sum16)~csum_tcpudp_magic(saddr, daddr, 40, IPPROTO_TCP, 0);
	memcpy(th + 16, &pseudo, 2);
	skb->ip_summed = CHECKSUM_PARTIAL;
	skb->csum_start = (u16)(th - skb->head);
	skb->csum_offset = 16;
	skb->csum = 0;
	cr_assert(eq(int, skb_checksum_help(skb), 0));
	cr_assert(eq(u8, th[16], 0x09));
	cr_assert(eq(u8, th[17], 0xef));
	kfree_skb(skb);
	cr_assert(eq(long, stack_free(st), 0));
}
