/*
 * frames.c - numbered test frames (frames.h).
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>

#include "frames.h"
#include "eth.h"

const u8 mac_a[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x0a };
const u8 mac_b[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x0b };
const u8 mac_bcast[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static u8 pattern(u32 id, unsigned int i)
{
	return (u8)(id * 31 + i * 7 + 1);
}

/** test_frame - a frame with @payload bytes (>= 4) after the header. */
struct sk_buff *test_frame(struct net_device *dev, const u8 *dst, u16 type, u32 id,
			   unsigned int payload)
{
	struct sk_buff *skb = alloc_skb(dev->stack, NET_SKB_PAD + ETH_HLEN + payload);
	__be32 nid = htonl(id);
	u8 *p;

	cr_assert(skb != NULL && payload >= 4);
	skb_reserve(skb, NET_SKB_PAD + ETH_HLEN);
	p = skb_put(skb, payload);
	memcpy(p, &nid, 4);
	for (unsigned int i = 4; i < payload; i++)
		p[i] = pattern(id, i);
	eth_header(skb, dev, type, dst, NULL);
	skb->dev = dev;
	return skb;
}

int send_test_frame(struct net_device *dev, const u8 *dst, u32 id, unsigned int payload)
{
	return dev_queue_xmit(test_frame(dev, dst, ETH_P_TEST, id, payload));
}

/** test_frame_id - the id of a captured frame (data at the Ethernet header). */
u32 test_frame_id(const struct sk_buff *frame)
{
	__be32 nid;

	memcpy(&nid, frame->data + ETH_HLEN, 4);
	return ntohl(nid);
}

bool test_frame_intact(const struct sk_buff *frame, unsigned int payload)
{
	u32 id = test_frame_id(frame);

	if (frame->len != ETH_HLEN + payload)
		return false;
	for (unsigned int i = 4; i < payload; i++)
		if (frame->data[ETH_HLEN + i] != pattern(id, i))
			return false;
	return true;
}
