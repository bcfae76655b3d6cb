/*
 * frames.h - build and recognise numbered test frames (raw Ethernet, an
 * experimental ethertype, a 4-byte id then a pattern derived from it).
 */
#ifndef SKBOS_TEST_FRAMES_H
#define SKBOS_TEST_FRAMES_H

#include "netdevice.h"

#define ETH_P_TEST 0x88B5 /* IEEE 802 local experimental ethertype */

extern const u8 mac_a[ETH_ALEN];
extern const u8 mac_b[ETH_ALEN];
extern const u8 mac_bcast[ETH_ALEN];

struct sk_buff *test_frame(struct net_device *dev, const u8 *dst, u16 type, u32 id,
			   unsigned int payload);
int send_test_frame(struct net_device *dev, const u8 *dst, u32 id, unsigned int payload);
u32 test_frame_id(const struct sk_buff *frame);
bool test_frame_intact(const struct sk_buff *frame, unsigned int payload);

#endif
