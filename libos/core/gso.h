/*
 * gso.h - generic segmentation offload in software (net/core/gso.c): what
 * a device without NETIF_F_TSO gets instead of a TCP super-frame.
 */
#ifndef SKBOS_GSO_H
#define SKBOS_GSO_H

#include "skbuff.h"

int skb_gso_segment(struct sk_buff *skb, u64 features, struct sk_buff_head *segs);

#endif /* SKBOS_GSO_H */
