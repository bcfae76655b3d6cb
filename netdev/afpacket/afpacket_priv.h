/*
 * afpacket_priv.h - what the two halves of the AF_PACKET device share:
 * afpacket_uring.c (io_uring, the multishot-recv receive path, transmit, the
 * device ops) and afpacket_tpv3.c (the TPACKET_V3 receive ring).  Private to
 * netdev/: nothing outside the device includes it.
 */
#ifndef SKBOS_AFPACKET_PRIV_H
#define SKBOS_AFPACKET_PRIV_H

#include <liburing.h>

#include "afpacket_uring.h"
#include "skbuff.h"

/*
 * struct virtio_net_hdr (include/uapi/linux/virtio_net.h), little-endian on
 * every architecture skbos runs on.  Defined here because <linux/virtio_net.h>
 * pulls in <linux/if_ether.h>, whose struct ethhdr is also eth.h's.
 */
struct afp_vnet_hdr {
	u8 flags;
	u8 gso_type;
	u16 hdr_len;
	u16 gso_size;
	u16 csum_start;
	u16 csum_offset;
} __attribute__((packed));

#define VNET_HDR_LEN 10
#define VNET_F_NEEDS_CSUM 1
#define VNET_F_DATA_VALID 2

#define AFP_SHINFO_SIZE SKB_DATA_ALIGN(sizeof(struct skb_shared_info))

struct afp_rxpool;
struct afp_v3ring;

struct afpacket_priv {
	struct net_device *dev;
	struct io_uring ring;
	bool ring_ok;
	bool open;     /* between ndo_open and ndo_stop: receive may be armed */
	bool rx_armed; /* a multishot recv (or V3 poll) is live, or its SQE is queued */
	bool armed_once;
	u8 rx_mode;    /* AFP_RX_* */
	int fd;
	int efd;
	int sqe_fd;   /* 0 (registered file index) or fd */
	u8 sqe_flags; /* IOSQE_FIXED_FILE or 0 */
	u32 rx_len;   /* bytes the kernel may write into one buffer */
	struct afp_rxpool *pool;
	struct afp_v3ring *v3;
	struct sk_buff_head backlog;
	u32 tx_inflight;
	u32 tx_inflight_max;
	u32 tx_backlog_max;
	u32 sq_pending;
	ktime_t now;
	struct afpacket_stats st;
};

/* afpacket_uring.c */
int afp_rx_vnet(struct afpacket_priv *p, struct sk_buff *skb, const struct afp_vnet_hdr *vh);

/* afpacket_tpv3.c */
int afp_v3_create(struct afpacket_priv *p, const struct afpacket_config *c);
void afp_v3_detach(struct afpacket_priv *p);
void afp_v3_forget_after_fork(struct afpacket_priv *p);
int afp_v3_rx(struct afpacket_priv *p, int budget, bool deliver);
bool afp_v3_pending(const struct afpacket_priv *p);
void afp_v3_get_stats(const struct afpacket_priv *p, struct afpacket_stats *s);

#endif /* SKBOS_AFPACKET_PRIV_H */
