/*
 * checksum.c - csum_partial (RFC 1071 §4.1, computed 32 bits at a time into a
 * 64-bit accumulator, folded once at the end).
 */
#include <string.h>

#include "checksum.h"
#include "skbuff.h"

/**
 * csum_partial - add the one's complement sum of @len bytes at @buf to @sum.
 * Correct for any alignment and an odd @len (the last byte is padded with a
 * zero byte after it, RFC 1071 §4.1).
 */
__wsum csum_partial(const void *buf, unsigned int len, __wsum sum)
{
	const u8 *p = buf;
	u64 s = sum;

	while (len >= 16) {
		u32 w[4];

		memcpy(w, p, 16);
		s += (u64)w[0] + w[1] + w[2] + w[3];
		p += 16;
		len -= 16;
	}
	while (len >= 4) {
		u32 w;

		memcpy(&w, p, 4);
		s += w;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		u16 h;

		memcpy(&h, p, 2);
		s += h;
		p += 2;
		len -= 2;
	}
	if (len) {
		u16 h = 0;

		memcpy(&h, p, 1);
		s += h;
	}
	return csum_fold64(s);
}

/** skb_checksum - csum_partial over @len bytes of @skb from @offset (from data). */
__wsum skb_checksum(const struct sk_buff *skb, unsigned int offset, unsigned int len, __wsum sum)
{
	return csum_partial(skb->data + offset, len, sum);
}

/**
 * skb_checksum_help - finish a CHECKSUM_PARTIAL packet in software: sum from
 * csum_start to the end and store the result at csum_start + csum_offset.
 * Needed before fragmenting, or for a device that cannot checksum.
 * Return: 0 or -EINVAL (offsets outside the packet).
 */
int skb_checksum_help(struct sk_buff *skb)
{
	unsigned int start, off;
	__sum16 sum;

	if (skb->ip_summed != CHECKSUM_PARTIAL)
		return 0;
	start = skb->csum_start - skb_headroom(skb);
	off = start + skb->csum_offset;
	if (skb->csum_start < skb_headroom(skb) || off + 2 > skb_headlen(skb))
		return -EINVAL;
	sum = csum_fold(csum_partial(skb->data + start, skb->len - start, skb->csum));
	if (sum == 0 && skb->csum_offset == 6) /* UDP: 0 means "no checksum", RFC 768 */
		sum = 0xffff;
	memcpy(skb->data + off, &sum, 2);
	skb->ip_summed = CHECKSUM_NONE;
	return 0;
}
