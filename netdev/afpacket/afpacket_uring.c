/*
 * afpacket_uring.c - the AF_PACKET device driven by io_uring
 * (afpacket_uring.h; DESIGN.md "The AF_PACKET device: facts measured").
 *
 *   afp_poll: reap CQEs -> afp_rx_cqe -> build_skb over the ring buffer
 *             -> eth_rx -> ... ; kfree/consume -> afp_rx_buf_release
 *             -> the buffer goes back on the ring
 *   dev_queue_xmit -> afp_start_xmit (virtio_net_hdr, SEND SQE or backlog)
 *             -> stack_xmit_flush -> afp_xmit_flush: one io_uring_enter
 *             -> afp_tx_done (consume; ENOBUFS/EAGAIN: back to the backlog)
 *
 * Read first: packet(7) on PACKET_VNET_HDR, include/linux/virtio_net.h
 * (virtio_net_hdr_from_skb / _to_skb: what the kernel writes and reads),
 * io_uring_register_buf_ring(3) and io_uring_prep_recv_multishot(3).
 *
 * Every receive buffer is always in exactly one place: in the ring (the
 * kernel may fill it), completed but not yet wrapped, or lent to an skb.
 * pool->state[] says which, so a buffer can neither be lost nor handed back
 * twice, and the pool outlives the device while skbs still hold buffers.
 *
 * Runs under the stack lock like the rest of the core; the skb destructor
 * that returns a buffer may run from any core path that frees an skb.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <linux/if_packet.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <liburing.h>

#include "alloc.h"
#include "afpacket_priv.h"
#include "afpacket_if.h"
#include "netdevice.h"
#include "eth.h"
#include "skbuff.h"
#include "stack.h"
#include "log.h"

#define VNET_GSO_NONE 0
#define VNET_GSO_TCPV4 1
#define VNET_GSO_UDP 3
#define VNET_GSO_TCPV6 4
#define VNET_GSO_UDP_L4 5
#define VNET_GSO_ECN 0x80

/* Receive buffer: [headroom][vnet hdr][frame ...][skb_shared_info]. */
#define AFP_RX_HEADROOM NET_SKB_PAD
#define AFP_BGID 0

/* user_data: a TX skb pointer (8-aligned, tag 0) or one of these. */
#define AFP_UD_RX 1
#define AFP_UD_CANCEL 2
#define AFP_UD_V3POLL 3 /* the TPACKET_V3 ring's multishot poll */
#define AFP_UD_TAG_MASK 7ull

#define AFP_TX_RETRY_MAX 64
#define AFP_DRAIN_TIMEOUT_MS 1000

enum afp_buf_state { AFP_BUF_RING, AFP_BUF_LENT, AFP_BUF_FREE };

/**
 * struct afp_rxpool - the receive buffers and the ring that lends them.
 * @priv: the device, or NULL once it is gone (then the last returned
 *	buffer frees the pool)
 * @lent: buffers held by skbs
 * @in_ring: buffers the kernel may fill
 */
struct afp_rxpool {
	struct afpacket_priv *priv;
	u8 *bufs;
	size_t bufs_len;
	u32 bufsize;
	u32 nbufs;
	struct io_uring_buf_ring *br;
	size_t br_len;
	u8 *state;
	u32 lent;
	u32 in_ring;
};

/* The device's use of skb->cb while it owns a frame (like qdisc_skb_cb). */
struct afp_skb_cb {
	u16 tx_retries;
};

static struct afpacket_priv *afp_priv(const struct net_device *dev)
{
	return netdev_priv(dev);
}

static struct afp_skb_cb *AFP_SKB_CB(struct sk_buff *skb)
{
	return (struct afp_skb_cb *)(void *)skb->cb;
}

/* ---- the receive buffer pool -------------------------------------------- */

static u8 *afp_buf(const struct afp_rxpool *pool, u32 bid)
{
	return pool->bufs + (size_t)bid * pool->bufsize;
}

/* Put buffer @bid back where the kernel can fill it. */
static void afp_buf_to_ring(struct afp_rxpool *pool, u32 bid)
{
	struct afpacket_priv *p = pool->priv;

	io_uring_buf_ring_add(pool->br, afp_buf(pool, bid) + AFP_RX_HEADROOM, p->rx_len,
			      (unsigned short)bid, io_uring_buf_ring_mask(pool->nbufs), 0);
	io_uring_buf_ring_advance(pool->br, 1);
	pool->state[bid] = AFP_BUF_RING;
	pool->in_ring++;
}

static void afp_pool_free(struct afp_rxpool *pool)
{
	if (pool->br)
		munmap(pool->br, pool->br_len);
	if (pool->bufs)
		munmap(pool->bufs, pool->bufs_len);
	kfree(NULL, pool->state);
	kfree(NULL, pool);
}

static void afp_rx_arm(struct afpacket_priv *p);

/*
 * The data destructor of every receive skb: the last reference to a ring
 * buffer went, so the ring gets it back (and receive restarts if it had run
 * dry).  After the device is gone the buffer just retires.
 */
static void afp_rx_buf_release(void *arg, u8 *head)
{
	struct afp_rxpool *pool = arg;
	u32 bid = (u32)((size_t)(head - pool->bufs) / pool->bufsize);

	if (bid >= pool->nbufs || pool->state[bid] != AFP_BUF_LENT) {
		skb_log_error("afpacket: buffer %u returned but not lent", bid);
		return;
	}
	pool->lent--;
	if (!pool->priv) {
		pool->state[bid] = AFP_BUF_FREE;
		if (!pool->lent)
			afp_pool_free(pool);
		return;
	}
	afp_buf_to_ring(pool, bid);
	if (!pool->priv->rx_armed)
		afp_rx_arm(pool->priv);
}

static int afp_pool_create(struct afpacket_priv *p, u32 nbufs, u32 frame_max)
{
	struct afp_rxpool *pool = kzalloc(NULL, sizeof(*pool));
	struct io_uring_buf_reg reg = { 0 };
	int err;

	if (!pool)
		return -ENOMEM;
	p->pool = pool;
	pool->priv = p;
	pool->nbufs = nbufs;
	/* One spare byte: a frame that fills the buffer was truncated. */
	p->rx_len = VNET_HDR_LEN + frame_max + 1;
	pool->bufsize = (u32)SKB_DATA_ALIGN(AFP_RX_HEADROOM + p->rx_len) + (u32)AFP_SHINFO_SIZE;
	pool->bufs_len = (size_t)pool->bufsize * nbufs;
	pool->br_len = ALIGN(sizeof(struct io_uring_buf) * nbufs, (size_t)4096);
	pool->state = kcalloc(NULL, nbufs, 1);
	/* MAP_NORESERVE: a small frame touches a page or two of its 64 KB. */
	pool->bufs = mmap(NULL, pool->bufs_len, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	pool->br = mmap(NULL, pool->br_len, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!pool->state || pool->bufs == MAP_FAILED || pool->br == MAP_FAILED) {
		pool->bufs = pool->bufs == MAP_FAILED ? NULL : pool->bufs;
		pool->br = pool->br == MAP_FAILED ? NULL : pool->br;
		return -ENOMEM;
	}
	reg.ring_addr = (u64)(uintptr_t)pool->br;
	reg.ring_entries = nbufs;
	reg.bgid = AFP_BGID;
	err = io_uring_register_buf_ring(&p->ring, &reg, 0);
	if (err)
		return err;
	io_uring_buf_ring_init(pool->br);
	for (u32 i = 0; i < nbufs; i++)
		afp_buf_to_ring(pool, i);
	return 0;
}

/* ---- io_uring plumbing --------------------------------------------------- */

static int afp_submit(struct afpacket_priv *p)
{
	int ret;

	if (!p->sq_pending)
		return 0;
	ret = io_uring_submit(&p->ring);
	p->st.tx_enters++;
	if (ret > 0) {
		p->st.tx_submits++;
		p->sq_pending -= min_t(u32, (u32)ret, p->sq_pending);
	} else if (ret < 0) {
		/* -EBUSY/-EAGAIN: the CQ is backed up; the SQEs stay queued and
		 * go with the next submit, after a reap has made room. */
		skb_log(p->dev->stack, LOG_DEBUG, "afpacket %s: submit: %d", p->dev->name, ret);
	}
	return ret;
}

static struct io_uring_sqe *afp_get_sqe(struct afpacket_priv *p)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&p->ring);

	if (!sqe) {
		afp_submit(p);
		sqe = io_uring_get_sqe(&p->ring);
	}
	if (sqe)
		p->sq_pending++;
	return sqe;
}

/*
 * With DEFER_TASKRUN (or TASKRUN_FLAG) completions are only posted when the
 * task enters the kernel; the kernel raises IORING_SQ_TASKRUN when there is
 * work, so the system call is made only then (or to submit).
 */
static bool afp_needs_enter(const struct afpacket_priv *p)
{
	unsigned int flags = IO_URING_READ_ONCE(*p->ring.sq.kflags);

	return p->sq_pending || (flags & (IORING_SQ_TASKRUN | IORING_SQ_CQ_OVERFLOW));
}

static void afp_get_events(struct afpacket_priv *p)
{
	if (!afp_needs_enter(p))
		return;
	p->st.tx_enters++;
	if (p->sq_pending) {
		int ret = io_uring_submit_and_get_events(&p->ring);

		if (ret > 0) {
			p->st.tx_submits++;
			p->sq_pending -= min_t(u32, (u32)ret, p->sq_pending);
		}
	} else {
		io_uring_get_events(&p->ring);
	}
}

/* ---- receive -------------------------------------------------------------- */

/*
 * Arm one multishot recv; it lasts until the ring runs dry or it is cancelled.
 * A TPACKET_V3 ring instead arms a multishot poll: the kernel wakes the
 * socket when it hands a block over, and the completion (through the same
 * eventfd) sends the waiter to ndo_poll, which reads the ring itself.
 */
static void afp_rx_arm(struct afpacket_priv *p)
{
	struct io_uring_sqe *sqe;

	if (p->rx_armed || !p->open)
		return;
	/* A dry ring would end the arm at once: wait for a buffer to return. */
	if (p->rx_mode == AFP_RX_MULTISHOT && !p->pool->in_ring)
		return;
	sqe = afp_get_sqe(p);
	if (!sqe)
		return;
	if (p->rx_mode == AFP_RX_TPACKET_V3) {
		io_uring_prep_poll_multishot(sqe, p->sqe_fd, POLLIN);
		sqe->flags |= p->sqe_flags;
		io_uring_sqe_set_data64(sqe, AFP_UD_V3POLL);
	} else {
		io_uring_prep_recv_multishot(sqe, p->sqe_fd, NULL, 0, 0);
		sqe->flags |= p->sqe_flags | IOSQE_BUFFER_SELECT;
		sqe->buf_group = AFP_BGID;
		io_uring_sqe_set_data64(sqe, AFP_UD_RX);
	}
	p->rx_armed = true;
	if (p->armed_once)
		p->st.rx_rearms++;
	p->armed_once = true;
}

static u32 afp_gso_type(u8 vnet_gso)
{
	switch (vnet_gso & ~VNET_GSO_ECN) {
	case VNET_GSO_TCPV4:
		return SKB_GSO_TCPV4;
	case VNET_GSO_TCPV6:
		return SKB_GSO_TCPV6;
	case VNET_GSO_UDP:
		return SKB_GSO_UDP;
	case VNET_GSO_UDP_L4:
		return SKB_GSO_UDP_L4;
	default:
		return 0;
	}
}

/* Transport header length at @off (an offset from data), for gso_segs. */
static u32 afp_l4_hdr_len(const struct sk_buff *skb, u32 off, u32 gso)
{
	if (gso & (SKB_GSO_UDP | SKB_GSO_UDP_L4))
		return 8;
	if ((gso == SKB_GSO_TCPV4 || gso == SKB_GSO_TCPV6) && off + 13 < skb->len)
		return (u32)(skb->data[off + 12] >> 4) * 4;
	return 0;
}

/**
 * afp_rx_vnet - read the kernel's virtio_net_hdr into @skb (borrowed).  A
 * veth peer hands over its TSO super-frames whole, with a checksum still to
 * be completed: only the header says so, and a stack that verified it would
 * drop every one.  Both receive modes go through here.
 * Return: 0, or -EINVAL for a header that points outside the frame.
 */
int afp_rx_vnet(struct afpacket_priv *p, struct sk_buff *skb, const struct afp_vnet_hdr *vh)
{
	struct skb_shared_info *sh = skb_shinfo(skb);
	u32 start = le16toh(vh->csum_start), off = le16toh(vh->csum_offset);

	if (vh->flags & VNET_F_NEEDS_CSUM) {
		if (start + off + 2 > skb->len)
			return -EINVAL;
		/* As in Linux, csum_start counts from head, not data. */
		skb->ip_summed = CHECKSUM_PARTIAL;
		skb->csum_start = (u16)(skb_headroom(skb) + start);
		skb->csum_offset = (u16)off;
		p->st.rx_csum_partial++;
	} else if ((vh->flags & VNET_F_DATA_VALID) && (p->dev->features & NETIF_F_RXCSUM)) {
		/* without receive checksum offload the stack verifies it itself */
		skb->ip_summed = CHECKSUM_UNNECESSARY;
		p->st.rx_csum_valid++;
	}
	if (vh->gso_type == VNET_GSO_NONE)
		return 0;
	sh->gso_size = le16toh(vh->gso_size);
	if (!sh->gso_size)
		return -EINVAL;
	sh->gso_type = afp_gso_type(vh->gso_type);
	if (vh->flags & VNET_F_NEEDS_CSUM) {
		u32 hdr = start + afp_l4_hdr_len(skb, start, sh->gso_type);

		if (hdr && hdr < skb->len)
			sh->gso_segs = (u16)((skb->len - hdr + sh->gso_size - 1) / sh->gso_size);
	}
	p->st.rx_gso++;
	return 0;
}

/* A completed buffer @bid holding @len bytes: wrap it and hand it up. */
static void afp_rx_frame(struct afpacket_priv *p, u32 bid, u32 len)
{
	struct afp_rxpool *pool = p->pool;
	struct net_device *dev = p->dev;
	u8 *buf = afp_buf(pool, bid);
	struct afp_vnet_hdr vh;
	struct sk_buff *skb;

	if (unlikely(len >= p->rx_len || len < VNET_HDR_LEN)) {
		p->st.rx_truncated += len >= p->rx_len;
		dev->stats.rx_errors++;
		goto recycle;
	}
	skb = build_skb(dev->stack, buf, pool->bufsize, afp_rx_buf_release, pool);
	if (unlikely(!skb)) {
		dev->stats.rx_dropped++;
		goto recycle;
	}
	pool->state[bid] = AFP_BUF_LENT;
	pool->lent++;
	skb_reserve(skb, AFP_RX_HEADROOM + VNET_HDR_LEN);
	skb_put(skb, len - VNET_HDR_LEN);
	skb->dev = dev;
	skb->tstamp = p->now;
	memcpy(&vh, buf + AFP_RX_HEADROOM, sizeof(vh));
	if (unlikely(afp_rx_vnet(p, skb, &vh))) {
		dev->stats.rx_errors++;
		kfree_skb_reason(skb, SKB_DROP_REASON_VNET_HDR_INVALID);
		return;
	}
	eth_rx(skb, dev);
	return;
recycle:
	afp_buf_to_ring(pool, bid);
}

/*
 * One receive completion.  Without IORING_CQE_F_MORE the multishot recv has
 * ended (ENOBUFS: the ring ran dry; frames wait in the socket meanwhile) and
 * is armed again once a buffer is back.
 * Return: 1 if it carried a frame (handed up or dropped), else 0.
 */
static int afp_rx_cqe(struct afpacket_priv *p, s32 res, u32 flags, bool deliver)
{
	struct afp_rxpool *pool = p->pool;
	u32 bid;

	if (!(flags & IORING_CQE_F_MORE))
		p->rx_armed = false;
	if (res < 0) {
		if (res == -ENOBUFS)
			p->st.rx_ring_dry++;
		else if (res != -ECANCELED)
			p->dev->stats.rx_errors++;
		return 0;
	}
	if (!(flags & IORING_CQE_F_BUFFER))
		return 0;
	bid = flags >> IORING_CQE_BUFFER_SHIFT;
	if (bid >= pool->nbufs || pool->state[bid] != AFP_BUF_RING) {
		skb_log(p->dev->stack, LOG_ERROR, "afpacket %s: completion for buffer %u not in the ring",
			p->dev->name, bid);
		return 0;
	}
	pool->in_ring--;
	if (deliver)
		afp_rx_frame(p, bid, (u32)res);
	else
		afp_buf_to_ring(pool, bid);
	return 1;
}

/* ---- transmit ------------------------------------------------------------- */

static enum skb_drop_reason afp_tx_reason(int res)
{
	switch (res) {
	case -EMSGSIZE:
		return SKB_DROP_REASON_PKT_TOO_BIG;
	case -ENETDOWN:
	case -ENXIO:
		return SKB_DROP_REASON_DEV_DOWN;
	case -ENOBUFS:
	case -EAGAIN:
		return SKB_DROP_REASON_DEV_BUSY;
	case -ENOMEM:
		return SKB_DROP_REASON_NOMEM;
	default:
		return SKB_DROP_REASON_DEV_TX_ERROR;
	}
}

/* A send finished.  Consumes @skb, or puts it back in the backlog to retry. */
static void afp_tx_done(struct afpacket_priv *p, struct sk_buff *skb, s32 res)
{
	struct net_device *dev = p->dev;

	p->tx_inflight--;
	if (likely(res >= 0)) {
		dev->stats.tx_packets++;
		dev->stats.tx_bytes += skb->len - VNET_HDR_LEN;
		consume_skb(skb);
		return;
	}
	/* The veth peer's queue (ENOBUFS) or our socket buffer (EAGAIN) was
	 * full: the frame is fine, try again on a later pass. */
	if ((res == -ENOBUFS || res == -EAGAIN) && p->open &&
	    AFP_SKB_CB(skb)->tx_retries < AFP_TX_RETRY_MAX) {
		AFP_SKB_CB(skb)->tx_retries++;
		p->st.tx_retries++;
		skb_queue_tail(&p->backlog, skb);
		return;
	}
	dev->stats.tx_errors++;
	dev->stats.tx_dropped++;
	skb_log(dev->stack, LOG_DEBUG, "afpacket %s: send: %d", dev->name, res);
	kfree_skb_reason(skb, afp_tx_reason(res));
}

/* Queue one SEND for @skb (vnet header already on).  Return: false if no SQE. */
static bool afp_tx_sqe(struct afpacket_priv *p, struct sk_buff *skb)
{
	struct io_uring_sqe *sqe = afp_get_sqe(p);

	if (!sqe)
		return false;
	io_uring_prep_send(sqe, p->sqe_fd, skb->data, skb->len, 0);
	sqe->flags |= p->sqe_flags;
	io_uring_sqe_set_data64(sqe, (u64)(uintptr_t)skb);
	p->tx_inflight++;
	return true;
}

/* Move backlogged frames into SQEs while in-flight slots are free. */
static void afp_tx_drain(struct afpacket_priv *p)
{
	struct sk_buff *skb;

	while (p->tx_inflight < p->tx_inflight_max && (skb = skb_peek(&p->backlog))) {
		if (!afp_tx_sqe(p, skb))
			break;
		skb_unlink(skb, &p->backlog);
	}
}

/*
 * Prepend the virtio_net_hdr the socket expects on every frame: zero for a
 * finished frame; NEEDS_CSUM and GSO fields when the stack left the checksum
 * or the segmentation to the "hardware" (the kernel does both, which is the
 * lever DESIGN.md measured).  Return: 0 or -ENOMEM.
 */
static int afp_tx_vnet(struct sk_buff *skb)
{
	struct afp_vnet_hdr h;
	u32 frame_start, start = 0;

	if (skb_headroom(skb) < VNET_HDR_LEN || skb_header_cloned(skb)) {
		if (skb_cow_head(skb, VNET_HDR_LEN))
			return -ENOMEM;
	}
	frame_start = skb_headroom(skb);
	memset(&h, 0, sizeof(h));
	if (skb->ip_summed == CHECKSUM_PARTIAL) {
		start = skb->csum_start - frame_start;
		h.flags = VNET_F_NEEDS_CSUM;
		h.csum_start = htole16((u16)start);
		h.csum_offset = htole16(skb->csum_offset);
	}
	if (skb_is_gso(skb)) {
		u32 g = skb_shinfo(skb)->gso_type;
		u32 t = g & SKB_GSO_TCPV4 ? SKB_GSO_TCPV4 : g & SKB_GSO_TCPV6 ? SKB_GSO_TCPV6 : SKB_GSO_UDP_L4;

		/* Linux has no UDP fragmentation offload any more: a UDP
		 * super-frame is a train of datagrams (UDP_L4, "USO"). */
		h.gso_type = t == SKB_GSO_TCPV4 ? VNET_GSO_TCPV4 : t == SKB_GSO_TCPV6 ? VNET_GSO_TCPV6 :
						    VNET_GSO_UDP_L4;
		h.gso_size = htole16(skb_shinfo(skb)->gso_size);
		/* Headers the kernel copies into every segment. */
		h.hdr_len = htole16((u16)(start + afp_l4_hdr_len(skb, start, t)));
	}
	memcpy(skb_push(skb, VNET_HDR_LEN), &h, sizeof(h));
	return 0;
}

/*
 * ndo_start_xmit: consumes @skb (NETDEV_TX_OK) unless the backlog is full
 * (NETDEV_TX_BUSY: dev_queue_xmit drops and counts it).  Nothing leaves
 * before the next flush.
 */
static netdev_tx_t afp_start_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct afpacket_priv *p = afp_priv(dev);
	bool wait = p->tx_inflight >= p->tx_inflight_max || !skb_queue_empty(&p->backlog);

	if (wait && skb_queue_len(&p->backlog) >= p->tx_backlog_max)
		return NETDEV_TX_BUSY;
	if (unlikely(afp_tx_vnet(skb))) {
		dev->stats.tx_dropped++;
		kfree_skb_reason(skb, SKB_DROP_REASON_NOMEM);
		return NETDEV_TX_OK;
	}
	AFP_SKB_CB(skb)->tx_retries = 0;
	if (wait || !afp_tx_sqe(p, skb)) {
		p->st.tx_backlogged++;
		skb_queue_tail(&p->backlog, skb);
	}
	return NETDEV_TX_OK;
}

static void afp_xmit_flush(struct net_device *dev)
{
	struct afpacket_priv *p = afp_priv(dev);

	afp_tx_drain(p);
	afp_submit(p);
}

/* ---- completions ---------------------------------------------------------- */

/*
 * Reap completions: every TX one, and receive ones until @budget frames have
 * been handed up (with @deliver false, received buffers go straight back).
 * One CQE is taken off the ring before it is handled, so a handler that sends
 * (and may submit) never sees the ring mid-iteration.
 * Return: frames received.
 */
static int afp_reap(struct afpacket_priv *p, int budget, bool deliver)
{
	unsigned int bound = p->ring.cq.ring_entries + (unsigned int)budget;
	struct io_uring_cqe *cqe;
	int done = 0;

	while (done < budget && bound--) {
		u64 ud;
		s32 res;
		u32 flags;

		if (io_uring_peek_cqe(&p->ring, &cqe) || !cqe)
			break;
		ud = cqe->user_data;
		res = cqe->res;
		flags = cqe->flags;
		io_uring_cqe_seen(&p->ring, cqe);
		if (ud == AFP_UD_RX)
			done += afp_rx_cqe(p, res, flags, deliver);
		else if (ud == AFP_UD_V3POLL && !(flags & IORING_CQE_F_MORE))
			p->rx_armed = false; /* re-armed by afp_poll */
		else if (!(ud & AFP_UD_TAG_MASK))
			afp_tx_done(p, (struct sk_buff *)(uintptr_t)ud, res);
	}
	return done;
}

/*
 * ndo_poll: hand up to @budget received frames to eth_rx, finish completed
 * sends, refill the send queue from the backlog and re-arm receive if it
 * ended.  Return: frames handed up.
 */
static int afp_poll(struct net_device *dev, int budget)
{
	struct afpacket_priv *p = afp_priv(dev);
	int done;

	p->now = stack_now(dev->stack);
	afp_get_events(p);
	done = afp_reap(p, budget, true);
	/* The ring is read whatever the completions said: a block may have
	 * been handed over since the last wake-up, or left half-read. */
	if (p->v3 && done < budget)
		done += afp_v3_rx(p, budget - done, true);
	afp_tx_drain(p);
	afp_rx_arm(p);
	return done;
}

/*
 * ndo_rx_pending: completions posted, or (DEFER_TASKRUN) waiting for us to
 * enter the kernel and post them.  Only the shared ring words are read:
 * this runs without the stack lock, while another thread may hold it.
 */
static bool afp_rx_pending(const struct net_device *dev)
{
	struct afpacket_priv *p = afp_priv(dev);
	unsigned int flags = IO_URING_READ_ONCE(*p->ring.sq.kflags);

	return io_uring_cq_ready(&p->ring) || (flags & (IORING_SQ_TASKRUN | IORING_SQ_CQ_OVERFLOW));
}

/* Wait (bounded) until @cond holds, reaping without delivering. */
static void afp_drain(struct afpacket_priv *p, bool (*cond)(const struct afpacket_priv *))
{
	struct __kernel_timespec ts = { .tv_sec = 0, .tv_nsec = 10 * 1000 * 1000 };
	int rounds = AFP_DRAIN_TIMEOUT_MS / 10;

	afp_submit(p);
	while (!cond(p) && rounds-- > 0) {
		struct io_uring_cqe *cqe;

		if (io_uring_wait_cqe_timeout(&p->ring, &cqe, &ts) == 0)
			afp_reap(p, INT32_MAX, false);
		afp_submit(p);
	}
}

static bool afp_rx_quiet(const struct afpacket_priv *p)
{
	return !p->rx_armed;
}

static bool afp_tx_quiet(const struct afpacket_priv *p)
{
	return !p->tx_inflight && !p->rx_armed;
}

/* ---- device ops ----------------------------------------------------------- */

static int afp_open(struct net_device *dev)
{
	struct afpacket_priv *p = afp_priv(dev);

	p->open = true;
	afp_rx_arm(p);
	afp_submit(p);
	return 0;
}

/* Cancel the receive; frames completed meanwhile go back to the ring. */
static int afp_stop(struct net_device *dev)
{
	struct afpacket_priv *p = afp_priv(dev);
	struct io_uring_sqe *sqe;

	p->open = false;
	if (p->rx_armed && (sqe = afp_get_sqe(p)) != NULL) {
		io_uring_prep_cancel64(sqe, p->v3 ? AFP_UD_V3POLL : AFP_UD_RX, 0);
		io_uring_sqe_set_data64(sqe, AFP_UD_CANCEL);
	}
	afp_drain(p, afp_rx_quiet);
	return 0;
}

static void afp_destroy(struct afpacket_priv *p)
{
	struct afp_rxpool *pool = p->pool;

	if (p->ring_ok) {
		afp_drain(p, afp_tx_quiet);
		if (p->tx_inflight)
			skb_log(p->dev->stack, LOG_ERROR, "afpacket %s: %u sends never completed; their skbs leak",
				p->dev->name, p->tx_inflight);
		io_uring_queue_exit(&p->ring);
		p->ring_ok = false;
	}
	skb_queue_purge_reason(&p->backlog, SKB_DROP_REASON_DEV_DOWN);
	if (p->v3)
		afp_v3_detach(p);
	if (p->fd >= 0)
		close(p->fd);
	if (p->efd >= 0)
		close(p->efd);
	p->fd = p->efd = -1;
	if (pool) {
		pool->priv = NULL;
		if (!pool->lent)
			afp_pool_free(pool);
		else
			skb_log(p->dev->stack, LOG_INFO, "afpacket %s: %u buffers still lent; freed on return",
				p->dev->name, pool->lent);
		p->pool = NULL;
	}
}

/**
 * afpacket_forget_after_fork - in a child of fork: the packet socket, the
 * io_uring ring and its eventfd are the parent's kernel objects (one shared
 * receive queue; a ring whose requests belong to the parent's task), so
 * the child closes its copies and touches nothing else.  The device is then
 * dead in the child and is never freed there.
 */
void afpacket_forget_after_fork(struct net_device *dev)
{
	struct afpacket_priv *p = afp_priv(dev);

	if (p->ring_ok)
		io_uring_queue_exit(&p->ring); /* unmaps and closes; submits nothing */
	p->ring_ok = false;
	afp_v3_forget_after_fork(p);
	if (p->fd >= 0)
		close(p->fd);
	if (p->efd >= 0)
		close(p->efd);
	p->fd = p->efd = -1;
	p->open = false;
}

/* ndo_uninit: finish sends in flight (bounded), then close everything. */
static void afp_uninit(struct net_device *dev)
{
	struct afpacket_priv *p = afp_priv(dev);

	p->dev->stats.tx_dropped += skb_queue_len(&p->backlog);
	afp_destroy(p);
}

static const struct net_device_ops afp_ops = {
	.ndo_open = afp_open,
	.ndo_stop = afp_stop,
	.ndo_start_xmit = afp_start_xmit,
	.ndo_poll = afp_poll,
	.ndo_uninit = afp_uninit,
	.ndo_xmit_flush = afp_xmit_flush,
	.ndo_rx_pending = afp_rx_pending,
};

/* ---- creation ------------------------------------------------------------- */

/*
 * The receive buffer: beyond rmem_max only with CAP_NET_ADMIN
 * (SO_RCVBUFFORCE); a socket that has one already (skbos-netd's, set by the
 * helper) keeps it rather than shrinking to what SO_RCVBUF may give.
 */
static int afp_rcvbuf_set(int fd, int rcvbuf)
{
	socklen_t len = sizeof(int);
	int cur = 0;

	/* SO_RCVBUF reads back twice what was set (socket(7)). */
	if (!getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &cur, &len) && cur / 2 >= rcvbuf)
		return 0;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) < 0)
		return -1;
	return 0;
}

/* A socket bound elsewhere must be bound to the interface we asked for. */
static int afp_check_bound(int fd, int ifindex)
{
	struct sockaddr_ll sll = { 0 };
	socklen_t len = sizeof(sll);

	if (getsockname(fd, (struct sockaddr *)&sll, &len) < 0)
		return -errno;
	return sll.sll_family == AF_PACKET && sll.sll_ifindex == ifindex ? 0 : -EINVAL;
}

static int afp_socket_setup(struct afpacket_priv *p, const struct afp_ifinfo *ifi,
			    const struct afpacket_config *c)
{
	struct sockaddr_ll sll = { 0 };
	int one = 1, err = 0;

	/* Before bind, so that no frame is ever read without its header. */
	if (setsockopt(p->fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)) < 0)
		return -errno;
	/* Our own frames would come back through the ETH_P_ALL hook. */
	if (setsockopt(p->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) < 0)
		return -errno;
	if (afp_rcvbuf_set(p->fd, c->rcvbuf))
		return -errno;
	/*
	 * PACKET_QDISC_BYPASS: off unless asked for (AFP_QDISC_BYPASS).  It
	 * pays too little here for what it costs: measured on veth (bench/
	 * afpacket_modes.sh, interleaved, medians; 5 runs / 9 runs):
	 *   64 B:   750 k -> 770 k pps, 1.33 -> 1.30 us CPU per frame /
	 *           746 k -> 773 k pps, 1.29 -> 1.28 us
	 *   1514 B: 700 k -> 721 k pps, 1.42 -> 1.38 us /
	 *           706 k -> 713 k pps, 1.37 -> 1.36 us
	 * i.e. +1-4% pps and -1-3% CPU, within the runs' spread, while the
	 * frames would skip tc, the netdev egress hook and every tap on the
	 * interface (tcpdump would no longer see what skbos sends).  veth has
	 * no qdisc to bypass (noqueue); a NIC with a real one may differ:
	 * measure there before turning it on.
	 */
	if ((c->uring_opts & AFP_QDISC_BYPASS) &&
	    setsockopt(p->fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) < 0)
		return -errno;
	/* The ring too goes in before bind: a frame that came in before it
	 * would sit in the socket's queue, where nothing reads. */
	if (c->rx_mode == AFP_RX_TPACKET_V3) {
		err = afp_v3_create(p, c);
		if (err)
			return err;
	}
	sll.sll_family = AF_PACKET;
	/* Before bind: a process sharing the address never sees the others'. */
	if (c->steer) {
		err = afpacket_steer(p->dev, c->steer);
		if (err && c->steer_err)
			*c->steer_err = err;
		if (err)
			return err;
	}
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = ifi->ifindex;
	if (c->fd_bound)
		err = afp_check_bound(p->fd, ifi->ifindex);
	else if (bind(p->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		err = -errno;
	if (err)
		return err;
	/* An address the interface does not have needs promiscuous mode; the
	 * membership goes away with the socket. */
	if (memcmp(p->dev->dev_addr, ifi->mac, ETH_ALEN)) {
		struct packet_mreq mr = { .mr_ifindex = ifi->ifindex, .mr_type = PACKET_MR_PROMISC };

		if (setsockopt(p->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0)
			return -errno;
	}
	return 0;
}

/* The best setup the kernel takes: DEFER_TASKRUN first, plainer after. */
static int afp_ring_init(struct afpacket_priv *p, const struct afpacket_config *c)
{
	static const unsigned int tries[] = {
		IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_TASKRUN_FLAG,
		IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG,
		0,
	};
	int err = -EINVAL;

	for (size_t i = 0; i < ARRAY_SIZE(tries); i++) {
		struct io_uring_params params = { 0 };

		if (i == 0 && (c->uring_opts & AFP_NO_DEFER_TASKRUN))
			continue;
		/* Room for a completion per buffer and per send in flight, so the
		 * CQ never overflows. */
		params.cq_entries = c->rx_buffers + c->tx_inflight_max + 64;
		params.flags = tries[i] | IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL;
		err = io_uring_queue_init_params(c->sq_entries, &p->ring, &params);
		if (!err) {
			p->st.setup_flags = params.flags;
			p->ring_ok = true;
			return 0;
		}
		if (err != -EINVAL)
			return err;
	}
	return err;
}

static int afp_uring_setup(struct afpacket_priv *p, const struct afpacket_config *c)
{
	int err = afp_ring_init(p, c);

	if (err)
		return err;
	p->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (p->efd < 0)
		return -errno;
	err = io_uring_register_eventfd(&p->ring, p->efd);
	if (err)
		return err;
	p->sqe_fd = p->fd;
	if (!(c->uring_opts & AFP_NO_REG_FILE) && !io_uring_register_files(&p->ring, &p->fd, 1)) {
		p->sqe_fd = 0;
		p->sqe_flags = IOSQE_FIXED_FILE;
		p->st.reg_file = true;
	}
	if (!(c->uring_opts & AFP_NO_REG_RING) && io_uring_register_ring_fd(&p->ring) == 1)
		p->st.reg_ring = true;
	return 0;
}

static bool is_power_of_2(unsigned int n)
{
	return n && !(n & (n - 1));
}

static int afp_config(struct afpacket_config *c, const struct afpacket_config *in)
{
	if (in)
		*c = *in;
	else
		memset(c, 0, sizeof(*c));
	c->rx_buffers = c->rx_buffers ? c->rx_buffers : 256;
	c->rx_frame_max = c->rx_frame_max ? c->rx_frame_max : 65536 + 64;
	c->tx_inflight_max = c->tx_inflight_max ? c->tx_inflight_max : 1024;
	c->tx_backlog_max = c->tx_backlog_max ? c->tx_backlog_max : 1024;
	c->sq_entries = c->sq_entries ? c->sq_entries : 256;
	c->rcvbuf = c->rcvbuf ? c->rcvbuf : 4 << 20;
	c->rx_block_size = c->rx_block_size ? c->rx_block_size : 256 << 10;
	c->rx_blocks = c->rx_blocks ? c->rx_blocks : 16;
	c->rx_retire_ms = c->rx_retire_ms ? c->rx_retire_ms : 1;
	if (!is_power_of_2(c->rx_buffers) || c->rx_buffers > 32768 || c->rx_frame_max < ETH_ZLEN)
		return -EINVAL;
	if (c->rx_mode > AFP_RX_TPACKET_V3 || c->rx_block_size % 4096 || c->rx_blocks < 2 ||
	    c->rx_blocks > 65536)
		return -EINVAL;
	return 0;
}

static void afp_dev_init(struct net_device *dev, struct afpacket_priv *p,
			 const struct afp_ifinfo *ifi, const struct afpacket_config *c)
{
	p->dev = dev;
	p->fd = p->efd = -1;
	p->tx_inflight_max = c->tx_inflight_max;
	p->tx_backlog_max = c->tx_backlog_max;
	p->rx_mode = (u8)c->rx_mode;
	skb_queue_head_init(&p->backlog);
	dev->netdev_ops = &afp_ops;
	dev->mtu = c->mtu ? c->mtu : ifi->mtu;
	memcpy(dev->dev_addr, c->mac ? c->mac : ifi->mac, ETH_ALEN);
	/* The kernel finishes checksums and segments super-frames for us. */
	dev->features |= NETIF_F_RXCSUM | NETIF_F_HW_CSUM | NETIF_F_SG | NETIF_F_TSO;
}

/**
 * afpacket_create - open an AF_PACKET device on the kernel interface @ifname
 * (in the caller's network namespace), register it on @st and bring it up.
 * @cfg: options, or NULL for the defaults (afpacket_config)
 *
 * Return: the device (freed with the stack, or unregister_netdev +
 * free_netdev), or ERR_PTR: -ENODEV (no such interface), -EPERM (no
 * CAP_NET_RAW), -EINVAL (bad config, or not an Ethernet interface), -ENOMEM,
 * -EEXIST (a device of that name on @st), or an io_uring setup error.
 */
struct net_device *afpacket_create(struct stack *st, const char *ifname,
				   const struct afpacket_config *cfg)
{
	struct afpacket_config c;
	struct afpacket_priv *p;
	struct net_device *dev;
	struct afp_ifinfo ifi;
	int fd, err;

	err = afp_config(&c, cfg);
	if (err) {
		if (cfg && cfg->have_fd && cfg->fd >= 0)
			close(cfg->fd);
		return ERR_PTR(err);
	}
	fd = c.have_fd ? c.fd : socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return ERR_PTR(c.have_fd ? -EBADF : -errno);
	err = afp_if_query(fd, ifname, &ifi);
	if (err) {
		close(fd);
		return ERR_PTR(err);
	}
	dev = alloc_netdev(st, sizeof(*p), c.name ? c.name : ifname, ether_setup);
	if (!dev) {
		close(fd);
		return ERR_PTR(-ENOMEM);
	}
	p = afp_priv(dev);
	afp_dev_init(dev, p, &ifi, &c);
	dev->host_ifindex = ifi.ifindex;
	p->fd = fd;
	err = afp_socket_setup(p, &ifi, &c);
	if (!err)
		err = afp_uring_setup(p, &c);
	if (!err && c.rx_mode == AFP_RX_MULTISHOT)
		err = afp_pool_create(p, c.rx_buffers, c.rx_frame_max);
	if (!err)
		err = register_netdev(dev);
	if (err)
		goto out_destroy;
	err = dev_open(dev);
	if (err) {
		unregister_netdev(dev);
		free_netdev(dev);
		return ERR_PTR(err);
	}
	return dev;
out_destroy:
	afp_destroy(p);
	free_netdev(dev);
	return ERR_PTR(err);
}

/**
 * afpacket_event_fd - the eventfd io_uring signals when completions may be
 * waiting: a driver loop (ev_io) or a blocked application thread sleeps on
 * it, reads it to clear it, then polls the stack.  Borrowed: do not close.
 */
int afpacket_event_fd(const struct net_device *dev)
{
	return afp_priv(dev)->efd;
}

/**
 * afpacket_wait - sleep until the device may have work, at most @timeout_ms
 * (-1: forever).  Clears the event fd; the caller then runs stack_poll.
 * Return: 1 if woken (or work is already waiting), 0 on timeout, -errno.
 */
int afpacket_wait(struct net_device *dev, int timeout_ms)
{
	struct afpacket_priv *p = afp_priv(dev);
	struct pollfd pfd = { .fd = p->efd, .events = POLLIN };
	u64 val;
	int ret;

	if (io_uring_cq_ready(&p->ring) || afp_needs_enter(p) || (p->v3 && afp_v3_pending(p)))
		return 1;
	ret = poll(&pfd, 1, timeout_ms);
	if (ret < 0)
		return -errno;
	if (ret > 0 && read(p->efd, &val, sizeof(val)) < 0 && errno != EAGAIN)
		return -errno;
	return ret > 0;
}

/** afpacket_get_stats - a snapshot of the device's private counters. */
void afpacket_get_stats(const struct net_device *dev, struct afpacket_stats *s)
{
	struct afpacket_priv *p = afp_priv(dev);
	struct tpacket_stats_v3 ks;
	socklen_t len = sizeof(ks);

	/* The kernel's counters reset on every read: keep the sum. */
	if (p->fd >= 0 && !getsockopt(p->fd, SOL_PACKET, PACKET_STATISTICS, &ks, &len))
		p->st.rx_ring_drops += ks.tp_drops;
	*s = p->st;
	s->tx_inflight = p->tx_inflight;
	s->tx_backlog = skb_queue_len(&p->backlog);
	if (p->pool) {
		s->rx_bufs_total = p->pool->nbufs;
		s->rx_bufs_lent = p->pool->lent;
		s->rx_bufs_in_ring = p->pool->in_ring;
	}
	if (p->v3)
		afp_v3_get_stats(p, s);
}
