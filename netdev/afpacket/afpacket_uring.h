/*
 * afpacket_uring.h - the physical NIC: an AF_PACKET raw socket on a real
 * interface, driven by io_uring (DESIGN.md "The AF_PACKET device").
 *
 *   receive:  multishot recv into a provided buffer ring -> build_skb over
 *             the ring buffer (zero copy) -> eth_rx; freeing the skb gives the
 *             buffer back to the ring  (AFP_RX_MULTISHOT, the default)
 *   or:       a TPACKET_V3 mmap'ed ring, woken through a multishot poll ->
 *             build_skb over the block (zero copy) -> eth_rx; a block goes
 *             back to the kernel when its last skb is freed  (AFP_RX_TPACKET_V3,
 *             afpacket_tpv3.c)
 *   transmit: dev_queue_xmit -> afp_start_xmit (virtio_net_hdr pushed, one
 *             SEND SQE) -> stack_xmit_flush -> one io_uring_enter per batch
 *
 * This file and afpacket_uring.c are the only ones in skbos that know
 * io_uring; the core sees a struct net_device.
 */
#ifndef SKBOS_AFPACKET_URING_H
#define SKBOS_AFPACKET_URING_H

#include "types.h"

struct stack;
struct net_device;

/* afpacket_config.uring_opts: io_uring features to leave off (benchmarks,
 * or a device several threads will drive). */
#define AFP_NO_DEFER_TASKRUN (1u << 0) /* no SINGLE_ISSUER|DEFER_TASKRUN */
#define AFP_NO_REG_FILE (1u << 1)      /* plain fd in every SQE */
#define AFP_NO_REG_RING (1u << 2)      /* no registered ring fd */
/*
 * SINGLE_ISSUER, DEFER_TASKRUN and the registered ring fd all tie the ring to
 * the thread that created it: a device that several threads submit to or
 * reap from (DESIGN.md "who drives the stack") must be created with these.
 */
#define AFP_SHARED_RING (AFP_NO_DEFER_TASKRUN | AFP_NO_REG_RING)
#define AFP_QDISC_BYPASS (1u << 3)     /* PACKET_QDISC_BYPASS on (see afp_socket_setup) */

/*
 * afpacket_config.rx_mode: how frames come in.
 *
 * The default is the multishot recv, because it serves request/response
 * and still keeps up with a bulk sender; TPACKET_V3 is for receive-heavy
 * work that can wait a block.  Measured on this machine (veth between two
 * namespaces, 2 CPUs, kernel 6.18; bench/afpacket_modes.sh, 5 interleaved
 * runs of 1.5 s, medians; the skbos side pinned to CPU 0, the kernel's
 * generator or echo to CPU 1):
 *
 *                          multishot   V3, 1 ms retire   V3, 8 ms retire
 *   receive  64 B   pps      643 k        687 k             682 k
 *            CPU/frame       1.53 us      0.057 us          0.046 us
 *   receive 1514 B  pps      555 k        614 k             601 k
 *            CPU/frame       1.54 us      0.101 us          0.114 us
 *   ping-pong 64 B  RTT p50  39 us        1000 us           8000 us
 *            RTT p99         518 us       1029 us           8092 us
 *
 * TPACKET_V3 costs 15-30x less CPU per frame, but a frame becomes visible
 * only when its block is retired: full, or after the retire timeout, whose
 * least is 1 ms.  Every exchange that waits for an answer (a handshake, an
 * RPC, a DNS query) then takes a millisecond or more, 25x the multishot's
 * RTT; no block size avoids it.  The receive rate is bounded by the kernel
 * sending through veth (~0.7 Mpps per core) in both modes, so the multishot's
 * higher cost per frame shows as CPU, not as frames lost.  A second run (9
 * repetitions) agreed: RTT p50 40 / 1000 / 7999 us, CPU per 64 B frame 1.08
 * / 0.056 / 0.053 us (multishot pps spread widely, 336-671 k, across runs).
 * TPACKET_V3 lost 0.3-0.9% of 1514-byte frames for want of a free block in
 * some runs (none at 64 B); the multishot lost none.
 */
enum afp_rx_mode {
	AFP_RX_MULTISHOT = 0, /* multishot recv into a provided buffer ring */
	AFP_RX_TPACKET_V3 = 1, /* PACKET_RX_RING, TPACKET_V3 blocks */
};

/**
 * struct afpacket_config - how to open the device; zero means "default".
 * @name: the skbos device name (default: the interface's name)
 * @mac: the device's address (default: the interface's); a different one
 *	puts the interface in promiscuous mode for as long as the device lives
 * @mtu: default: the interface's
 * @rx_buffers: receive buffers in the ring, a power of two (default 256)
 * @rx_frame_max: largest frame a receive buffer holds, Ethernet header
 *	included (default 65536 + 64: a 64 KB GSO super-frame)
 * @tx_inflight_max: sends submitted but not completed (default 1024); more
 *	wait in the device's backlog
 * @tx_backlog_max: frames waiting for an in-flight slot or a retry (default
 *	1024); beyond it start_xmit says NETDEV_TX_BUSY (a counted drop)
 * @sq_entries: submission queue size (default 256)
 * @rcvbuf: socket receive buffer, bytes (default 4 MB): what the kernel
 *	keeps while the buffer ring is dry
 * @uring_opts: AFP_NO_* flags, AFP_QDISC_BYPASS
 * @rx_mode: AFP_RX_MULTISHOT (default) or AFP_RX_TPACKET_V3
 * @rx_block_size: TPACKET_V3 block, bytes, a multiple of the page size and
 *	larger than rx_frame_max plus headers (default 256 KB)
 * @rx_blocks: TPACKET_V3 blocks in the ring (default 16: 4 MB, as @rcvbuf)
 * @rx_retire_ms: TPACKET_V3 block retire timeout, ms (default 1, the least
 *	the kernel takes; it rounds up to a jiffy)
 * @have_fd: use @fd, an AF_PACKET SOCK_RAW socket opened elsewhere (devfd.c),
 *	instead of opening one; the device owns it from then on, also on failure
 * @fd_bound: @fd is bound to the interface already (skbos-netd's), so it is
 *	not bound again
 * @steer: the frames to let in from the start (afpacket_steer), or NULL: all
 * @steer_err: where a refused @steer's -errno goes (the caller names it)
 */
struct afpacket_config {
	const char *name;
	const u8 *mac;
	unsigned int mtu;
	unsigned int rx_buffers;
	unsigned int rx_frame_max;
	unsigned int tx_inflight_max;
	unsigned int tx_backlog_max;
	unsigned int sq_entries;
	int rcvbuf;
	unsigned int uring_opts;
	unsigned int rx_mode;
	unsigned int rx_block_size;
	unsigned int rx_blocks;
	unsigned int rx_retire_ms;
	bool have_fd;
	bool fd_bound;
	int fd;
	const struct portown_view *steer;
	int *steer_err;
};

/**
 * struct afpacket_stats - the device's private counters (dev->stats has the
 * `ip -s link` ones).
 * @rx_ring_dry: the buffer ring ran out (ENOBUFS): frames waited in the socket
 * @rx_rearms: multishot receives armed again after one ended
 * @rx_truncated: frames larger than a receive buffer (counted as rx_errors)
 * @rx_csum_partial: frames whose virtio_net_hdr said NEEDS_CSUM
 * @rx_csum_valid: frames whose virtio_net_hdr said DATA_VALID
 * @rx_gso: super-frames (virtio_net_hdr gso_type set)
 * @rx_bufs_total/@rx_bufs_lent/@rx_bufs_in_ring: every buffer is either in
 *	the ring (the kernel's), lent to an skb, or briefly between the two
 *	(completed but not yet handed up); total = lent + in_ring + that.
 *	In TPACKET_V3 mode they count blocks: lent = held by skbs
 * @rx_blocks_read: TPACKET_V3 blocks walked
 * @rx_copied: TPACKET_V3 frames copied into pool skbs rather than lent
 *	(no room for skb_shared_info after the frame, or too many blocks held)
 * @rx_ring_drops: frames the kernel dropped (PACKET_STATISTICS tp_drops):
 *	socket buffer full (multishot), no free block (TPACKET_V3)
 * @tx_submits: io_uring_enter calls that submitted SQEs
 * @tx_enters: all io_uring_enter calls (submit or reap)
 * @tx_retries: sends requeued after ENOBUFS/EAGAIN
 * @tx_backlogged: frames that waited in the backlog
 * @tx_inflight/@tx_backlog: now
 * @setup_flags: the IORING_SETUP_* flags the kernel accepted
 * @reg_file/@reg_ring: registered socket / registered ring fd in use
 */
struct afpacket_stats {
	u64 rx_ring_dry;
	u64 rx_rearms;
	u64 rx_truncated;
	u64 rx_csum_partial;
	u64 rx_csum_valid;
	u64 rx_gso;
	u32 rx_bufs_total;
	u32 rx_bufs_lent;
	u32 rx_bufs_in_ring;
	u64 rx_blocks_read;
	u64 rx_copied;
	u64 rx_ring_drops;
	u64 tx_submits;
	u64 tx_enters;
	u64 tx_retries;
	u64 tx_backlogged;
	u32 tx_inflight;
	u32 tx_backlog;
	u32 setup_flags;
	bool reg_file;
	bool reg_ring;
};

struct net_device *afpacket_create(struct stack *st, const char *ifname,
				   const struct afpacket_config *cfg);
int afpacket_event_fd(const struct net_device *dev);
void afpacket_forget_after_fork(struct net_device *dev);
struct portown_view;
int afpacket_steer(struct net_device *dev, const struct portown_view *v);
int afpacket_wait(struct net_device *dev, int timeout_ms);
void afpacket_get_stats(const struct net_device *dev, struct afpacket_stats *s);

#endif /* SKBOS_AFPACKET_URING_H */
