/*
 * fuzz_options.c - libFuzzer target: the option parsers, called directly.
 *
 *   tcp_parse_options   TCP options of a header of doff words (tcp_input.c)
 *   ip_options_fragment IP options of a non-first fragment (ip_fragment.c)
 *
 * and, with those IP options in the header, a datagram through ip_fragment()
 * and every fragment back through ip_defrag() in an order the input picks:
 * the reassembled datagram must be the original.
 *
 * Input: byte 0 flags (FO_SYN, FO_DUP), byte 1 the MTU, bytes 2-3 the
 * payload length, byte 4 the fragment order's seed, byte 5 the options'
 * length (0-40), then the options.  Buffers are sized exactly, so a read
 * past the options is an ASan report.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>

#include "ip.h"
#include "checksum.h"
#include "stack.h"
#include "tcp.h"

#define FO_SYN 0x01 /* parse the TCP options as a SYN's */
#define FO_DUP 0x02 /* deliver every fragment but the last twice */
#define FO_HDR 6
#define FO_MAX_FRAGS 1024
#define FO_MAX_PAYLOAD 9000

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

static struct stack *st;
static struct sk_buff_head frags; /* what ip_fragment() sent */
static u16 ip_id;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	st = stack_new(&(struct stack_params){ .families = inet_families });
	cr_assert(st != NULL);
	stack_clock_set_manual(st, 1000 * NSEC_PER_SEC);
	st->rand_state = 1;
	skb_queue_head_init(&frags);
	return 0;
}

static void fuzz_tcp_options(const u8 *opt, unsigned int optlen, bool syn)
{
	unsigned int words = optlen / 4;
	struct tcphdr *th = calloc(1, sizeof(*th) + words * 4);
	struct tcp_options_received rx = { .mss_clamp = TCP_MSS_DEFAULT };

	cr_assert(th != NULL);
	memcpy(th + 1, opt, words * 4);
	th->doff = (u16)(5 + words);
	tcp_parse_options(th, &rx, syn);
	cr_assert(rx.snd_wscale <= TCP_MAX_WSCALE);
	cr_assert(rx.mss_clamp == TCP_MSS_DEFAULT || rx.mss_clamp >= 88);
	if (!syn)
		cr_assert(rx.mss_clamp == TCP_MSS_DEFAULT && !rx.wscale_ok && !rx.sack_ok && !rx.tstamp_ok,
			  "options that only count in a SYN were taken from another segment");
	free(th);
}

/* The options a non-first fragment carries; @out is @optlen bytes. */
static void fragment_options(const u8 *opt, unsigned int optlen, u8 *out)
{
	u8 *once = malloc(optlen ? optlen : 1);

	cr_assert(once != NULL);
	memcpy(once, opt, optlen);
	ip_options_fragment(once, optlen);
	for (unsigned int i = 0; i < optlen; i++)
		cr_assert(once[i] == opt[i] || once[i] == 1 /* NOP */, "byte %u became %u", i, once[i]);
	memcpy(out, once, optlen);
	ip_options_fragment(once, optlen);
	cr_assert(memcmp(once, out, optlen) == 0, "not idempotent");
	free(once);
}

static int collect(struct sk_buff *skb)
{
	if (skb_queue_len(&frags) >= FO_MAX_FRAGS) {
		kfree_skb(skb);
		return -ENOBUFS;
	}
	skb_queue_tail(&frags, skb);
	return 0;
}

static struct sk_buff *build_datagram(const u8 *opt, unsigned int optlen, unsigned int plen)
{
	unsigned int hlen = (unsigned int)sizeof(struct iphdr) + optlen;
	struct sk_buff *skb = alloc_skb(st, MAX_HEADER + hlen + plen);
	struct iphdr *iph;
	u8 *p;

	cr_assert(skb != NULL);
	skb_reserve(skb, MAX_HEADER);
	p = skb_put(skb, hlen + plen);
	skb_reset_network_header(skb);
	skb->transport_header = (u16)(skb->network_header + hlen);
	skb->protocol = htons(ETH_P_IP);
	iph = (struct iphdr *)(void *)p;
	memset(iph, 0, sizeof(*iph));
	iph->version = 4;
	iph->ihl = (u8)(hlen / 4);
	iph->ttl = 64;
	iph->protocol = IPPROTO_UDP;
	iph->id = htons(++ip_id);
	iph->tot_len = htons((u16)(hlen + plen));
	iph->saddr = htonl(0x0a000001);
	iph->daddr = htonl(0x0a000002);
	memcpy(iph + 1, opt, optlen);
	for (unsigned int i = 0; i < plen; i++)
		p[hlen + i] = (u8)(i * 7 + (i >> 8));
	ip_send_check(iph);
	return skb;
}

/* Every fragment: within the MTU, in sequence, with the right options. */
static void check_fragments(const u8 *opt, const u8 *fopt, unsigned int optlen, unsigned int plen,
			    unsigned int mtu)
{
	unsigned int hlen = (unsigned int)sizeof(struct iphdr) + optlen, next = 0;
	struct sk_buff *f;

	skb_queue_walk(&frags, f) {
		const struct iphdr *fh = ip_hdr(f);
		unsigned int off = (ntohs(fh->frag_off) & IP_OFFSET) * 8u;
		bool mf = fh->frag_off & htons(IP_MF);

		cr_assert(f->data == skb_network_header(f) && f->len == ntohs(fh->tot_len));
		cr_assert(f->len <= mtu && fh->ihl * 4u == hlen && ip_fast_csum(fh, fh->ihl) == 0);
		cr_assert(off == next, "fragment at %u, expected %u", off, next);
		cr_assert(memcmp(fh + 1, off ? fopt : opt, optlen) == 0, "options of the fragment at %u", off);
		next += f->len - hlen;
		cr_assert(mf == (next < plen));
	}
	cr_assert(next == plen);
}

/* Feed the fragments to ip_defrag in an order from @seed; return the whole. */
static struct sk_buff *reassemble(u8 seed, bool dup)
{
	struct sk_buff *whole = NULL;
	u32 x = seed * 2654435761u + 1;

	while (!skb_queue_empty(&frags)) {
		unsigned int n = skb_queue_len(&frags), k;
		struct sk_buff *f = skb_peek(&frags);
		int rc;

		x = x * 1103515245u + 12345u;
		for (k = (x >> 16) % n; k; k--)
			f = skb_peek_next(f, &frags);
		skb_unlink(f, &frags);
		if (dup && n > 1) {
			struct sk_buff *copy = skb_copy(f);

			cr_assert(copy != NULL);
			cr_assert(ip_defrag(&copy) == -EINPROGRESS);
			cr_assert(ip_defrag(&f) == -EINVAL, "a duplicate was not dropped");
			continue;
		}
		rc = ip_defrag(&f);
		if (rc == 0) {
			cr_assert(whole == NULL && skb_queue_empty(&frags), "complete before the last fragment");
			whole = f;
		} else {
			cr_assert(rc == -EINPROGRESS, "ip_defrag: %d", rc);
		}
	}
	return whole;
}

static void fuzz_fragment(const u8 *opt, unsigned int optlen, unsigned int plen, unsigned int mtu,
			  u8 seed, bool dup)
{
	unsigned int hlen = (unsigned int)sizeof(struct iphdr) + optlen;
	u8 fopt[40];
	struct sk_buff *skb = build_datagram(opt, optlen, plen), *orig = skb_copy(skb), *whole;

	cr_assert(orig != NULL);
	fragment_options(opt, optlen, fopt);
	cr_assert(ip_fragment(skb, mtu, collect) == 0);
	check_fragments(opt, fopt, optlen, plen, mtu);
	whole = reassemble(seed, dup);
	cr_assert(whole != NULL, "the datagram did not come back together");
	cr_assert(whole->len == orig->len && memcmp(whole->data + hlen, orig->data + hlen, plen) == 0,
		  "reassembled payload differs");
	cr_assert(memcmp(whole->data + sizeof(struct iphdr), opt, optlen) == 0, "first fragment's options");
	consume_skb(whole);
	consume_skb(orig);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	unsigned int optlen, plen, hlen, mtu;
	u8 opt[40];

	if (size < FO_HDR)
		return 0;
	optlen = data[5] % 41u;
	if (optlen > size - FO_HDR)
		optlen = (unsigned int)(size - FO_HDR);
	memcpy(opt, data + FO_HDR, optlen);
	fuzz_tcp_options(opt, optlen, data[0] & FO_SYN);

	optlen &= ~3u; /* an IP header is whole 32-bit words */
	hlen = (unsigned int)sizeof(struct iphdr) + optlen;
	mtu = hlen + 8 + data[1] * 6u;
	plen = ((unsigned int)data[2] << 8 | data[3]) % (FO_MAX_PAYLOAD + 1);
	/* ip_finish_output fragments only what does not fit */
	if (hlen + plen <= mtu || plen / ((mtu - hlen) & ~7u) >= FO_MAX_FRAGS)
		return 0;
	fuzz_fragment(opt, optlen, plen, mtu, data[4], data[0] & FO_DUP);
	cr_assert(ipfrag_queue_count(st) == 0, "a reassembly queue was left behind");
	cr_assert(st->skb_in_use == 0 && st->data_in_use == 0, "skb leak");
	return 0;
}
