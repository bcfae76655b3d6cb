/*
 * netdevice.h - struct net_device, its ops, and the two doors between the
 * protocol layers and the devices: dev_queue_xmit() (down) and
 * netif_receive_skb() (up).
 *
 *   ip_finish_output2 -> neighbour -> dev_queue_xmit -> ndo_start_xmit
 *   driver RX -> eth_type_trans -> netif_receive_skb -> packet_type handler
 *
 * Handlers register per ethertype with dev_add_pack() (ip_rcv for ETH_P_IP,
 * arp_rcv for ETH_P_ARP); ETH_P_ALL taps see every frame in both directions
 * (pcap writing, tests' captures).
 */
#ifndef SKBOS_NETDEVICE_H
#define SKBOS_NETDEVICE_H

#include <net/if.h> /* IFNAMSIZ, IFF_*: the kernel's values */
#include "types.h"
#include "list.h"
#include "skbuff.h"
#include "notifier.h"

struct stack;

#define ETH_ALEN 6
#define ETH_HLEN 14
#define ETH_ZLEN 60
#define ETH_DATA_LEN 1500
#define ETH_FRAME_LEN 1514

#define ETH_P_ALL 0x0003
#define ETH_P_IP 0x0800
#define ETH_P_ARP 0x0806
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88A8
#define ETH_P_IPV6 0x86DD

#define ARPHRD_ETHER 1
#define ARPHRD_LOOPBACK 772


/* Device features (netdev_features.h); offloads use them later. */
#define NETIF_F_SG (1ull << 0)
#define NETIF_F_HW_CSUM (1ull << 1)
#define NETIF_F_TSO (1ull << 2)
#define NETIF_F_GRO (1ull << 3)
#define NETIF_F_RXCSUM (1ull << 4)
#define NETIF_F_LOOPBACK (1ull << 5)
#define NETIF_F_GSO (1ull << 6) /* segmentation in software, late (every device) */
#define NETIF_F_OFFLOADS                                                                  \
	(NETIF_F_SG | NETIF_F_HW_CSUM | NETIF_F_TSO | NETIF_F_GRO | NETIF_F_RXCSUM | NETIF_F_GSO)

typedef enum {
	NETDEV_TX_OK = 0,   /* the driver consumed the skb */
	NETDEV_TX_BUSY = 1, /* the driver did not take it; the caller still owns it */
} netdev_tx_t;

struct net_device;

/**
 * struct net_device_ops - what a device backend provides.
 * @ndo_open/@ndo_stop: bring the device up/down (optional)
 * @ndo_start_xmit: send one frame; consumes the skb when it returns NETDEV_TX_OK
 * @ndo_poll: hand up to @budget received frames to netif_receive_skb();
 *	returns how many it handed up
 * @ndo_uninit: release the backend's private state at unregister
 * @ndo_xmit_flush: push out frames the driver batched since the last flush;
 *	the stack calls it once at the end of every pass (stack_xmit_flush), so
 *	one system call carries many frames (Linux's xmit_more)
 * @ndo_rx_pending: busy polling (optional): whether ndo_poll would find
 *	something, from a look at the device's shared ring without a system
 *	call or the stack lock (Linux's napi_busy_loop asks the driver alike)
 */
struct net_device_ops {
	int (*ndo_open)(struct net_device *dev);
	int (*ndo_stop)(struct net_device *dev);
	netdev_tx_t (*ndo_start_xmit)(struct sk_buff *skb, struct net_device *dev);
	int (*ndo_poll)(struct net_device *dev, int budget);
	void (*ndo_uninit)(struct net_device *dev);
	void (*ndo_xmit_flush)(struct net_device *dev);
	bool (*ndo_rx_pending)(const struct net_device *dev);
};

/* The counters of `ip -s link`. */
struct net_device_stats {
	u64 rx_packets;
	u64 tx_packets;
	u64 rx_bytes;
	u64 tx_bytes;
	u64 rx_errors;
	u64 tx_errors;
	u64 rx_dropped;
	u64 tx_dropped;
};

struct in_device;

struct net_device {
	struct list_head dev_list;
	struct stack *stack;
	char name[IFNAMSIZ];
	int ifindex;
	int host_ifindex; /* the host kernel's ifindex for it (AF_PACKET's, lo's 1), or 0 */
	unsigned int flags;
	unsigned int mtu;
	u64 features;
	u16 type;
	u16 hard_header_len;
	u8 addr_len;
	u8 dev_addr[ETH_ALEN];
	u8 broadcast[ETH_ALEN];
	struct net_device_stats stats;
	const struct net_device_ops *netdev_ops;
	struct in_device *ip_ptr; /* IPv4 configuration (inetdevice.h) */
	void *priv;
};

static inline void *netdev_priv(const struct net_device *dev)
{
	return dev->priv;
}

/**
 * struct packet_type - a receive handler for one ethertype.
 * @type: ETH_P_* in host order, or ETH_P_ALL for a tap
 * @dev: only frames of this device, or NULL for all
 * @func: consumes the skb
 */
struct packet_type {
	u16 type;
	struct net_device *dev;
	int (*func)(struct sk_buff *skb, struct net_device *dev, struct packet_type *pt);
	void *af_packet_priv;
	struct list_head list;
};

/* Device events (include/linux/netdevice.h), for layers that keep per-device state. */
#define NETDEV_UP 1
#define NETDEV_DOWN 2
#define NETDEV_UNREGISTER 6

/* A netdev_chain subscriber gets the struct net_device as @data. */
void register_netdevice_notifier(struct stack *st, struct notifier_block *nb);
void unregister_netdevice_notifier(struct stack *st, struct notifier_block *nb);

struct net_device *alloc_netdev(struct stack *st, size_t sizeof_priv, const char *name,
				void (*setup)(struct net_device *dev));
void ether_setup(struct net_device *dev);
int register_netdev(struct net_device *dev);
void unregister_netdev(struct net_device *dev);
void free_netdev(struct net_device *dev);
int dev_open(struct net_device *dev);
int dev_close(struct net_device *dev);
struct net_device *dev_get_by_name(struct stack *st, const char *name);
struct net_device *dev_get_by_index(struct stack *st, int ifindex);

void dev_add_pack(struct stack *st, struct packet_type *pt);
void dev_remove_pack(struct stack *st, struct packet_type *pt);

int dev_queue_xmit(struct sk_buff *skb);
int netdev_offload_off(const char *level, u64 *off);
int netif_receive_skb(struct sk_buff *skb);

#endif /* SKBOS_NETDEVICE_H */
