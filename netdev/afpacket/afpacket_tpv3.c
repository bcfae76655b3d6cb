/*
 * afpacket_tpv3.c - the AF_PACKET device's TPACKET_V3 receive ring
 * (afpacket_config.rx_mode = AFP_RX_TPACKET_V3; afpacket_uring.h).
 *
 *   kernel: tpacket_rcv fills a block, retires it (full, or after
 *           rx_retire_ms) and wakes the socket -> the multishot POLL_ADD
 *           completes -> eventfd -> afpacket_wait / the driver loop
 *   afp_poll -> afp_v3_rx: walk the blocks the kernel handed over ->
 *           build_skb over the frame, in the block (zero copy) -> eth_rx;
 *           kfree/consume -> afp_v3_release -> the block's last skb gone:
 *           tp_status = TP_STATUS_KERNEL, the kernel may fill it again
 *
 * Read first: Documentation/networking/packet_mmap.rst (TPACKET_V3) and
 * net/packet/af_packet.c: tpacket_rcv (where tp_mac and the vnet header go),
 * __packet_lookup_frame_in_block (blocks are filled strictly in ring order;
 * a block still held by user space freezes the queue and the kernel drops).
 *
 * Zero copy and skb_shared_info: build_skb puts the shared info right after
 * the frame's data, where the next frame's tpacket3_hdr lies.  Once the
 * kernel hands a block over it is ours until we give it back, so the next
 * frame's header (and its virtio_net_hdr) is read *before* the previous
 * frame's skb is built, and the next skb starts after that shared info; the
 * PACKET_RESERVE headroom keeps room for it.  A frame with no room after it
 * (the last of a block) is copied into a pool skb instead, and so are the
 * frames of a block read while half the ring is already held by skbs: the
 * stack keeping a few packets must not starve the kernel of blocks (it drops
 * when it has none, where the multishot receive lets frames wait).
 *
 * Checksums and GSO: with PACKET_VNET_HDR the kernel writes a virtio_net_hdr
 * just before each frame in the ring as well (tp_mac - 10), and it is read
 * by the same afp_rx_vnet as in multishot mode.  tp_status repeats part of
 * it (TP_STATUS_CSUMNOTREADY = NEEDS_CSUM, TP_STATUS_CSUM_VALID = DATA_VALID)
 * without csum_start/offset or GSO fields, so it is only a fallback.
 */
#include <errno.h>
#include <linux/if_packet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "alloc.h"
#include "afpacket_priv.h"
#include "netdevice.h"
#include "eth.h"
#include "log.h"
#include "stack.h"

#define ETH_HDR_LEN 14

/* One frame's facts, taken from the ring before anything may overwrite them. */
struct afp_v3_frame {
	u32 off;     /* the tpacket3_hdr, from the block's start */
	u32 mac;     /* frame data, from off */
	u32 snaplen;
	u32 len;
	u32 status;
	u32 next;    /* tp_next_offset */
	struct afp_vnet_hdr vh;
};

/**
 * struct afp_v3ring - the mmap'ed ring and who holds which block.
 * @priv: the device, or NULL once it is gone (the last skb then unmaps)
 * @lent: per block, skbs built over it and not yet freed
 * @held: blocks with lent skbs
 * @user: blocks taken from the kernel and not yet given back
 * @cur/@reading/@left/@off/@low/@next: the read cursor; @low is the first
 *	byte of block @cur the next zero-copy skb may use, @next the next
 *	frame's header, copied out while it was still intact
 *
 * A block goes back to the kernel when it has been read to the end and
 * @lent[b] is 0, whichever comes last.  Until then its block_status stays
 * TP_STATUS_USER, so that alone does not make a block new: one read on the
 * last lap and still held by skbs looks just like one the kernel has just
 * handed over, and the cursor reaches it again once it has read every other
 * block.  Only a block with TP_STATUS_USER and no lent skbs is opened
 * (afp_v3_block_ready).
 */
struct afp_v3ring {
	struct afpacket_priv *priv;
	u8 *map;
	size_t map_len;
	u32 block_size;
	u32 nblocks;
	u32 max_held;
	u32 *lent;
	u32 held;
	u32 lent_skbs;
	u32 user;
	u32 cur;
	bool reading;
	u32 left;
	u32 low;
	struct afp_v3_frame next;
	u64 blocks_read;
	u64 copied;
};

static struct tpacket_block_desc *afp_v3_block(const struct afp_v3ring *r, u32 b)
{
	return (struct tpacket_block_desc *)(void *)(r->map + (size_t)b * r->block_size);
}

static void afp_v3_free(struct afp_v3ring *r)
{
	if (r->map)
		munmap(r->map, r->map_len);
	kfree(NULL, r->lent);
	kfree(NULL, r);
}

/* Give block @b back: the kernel fills it again when its turn comes. */
static void afp_v3_block_done(struct afp_v3ring *r, u32 b)
{
	__atomic_store_n(&afp_v3_block(r, b)->hdr.bh1.block_status, TP_STATUS_KERNEL,
			 __ATOMIC_RELEASE);
	r->user--;
}

/*
 * The data destructor of every zero-copy skb: one frame of its block is
 * free; the block's last one returns the block (unless it is still being
 * read).  After the device is gone the last one unmaps the ring.
 */
static void afp_v3_release(void *arg, u8 *head)
{
	struct afp_v3ring *r = arg;
	u32 b = (u32)((size_t)(head - r->map) / r->block_size);

	if (b >= r->nblocks || !r->lent[b]) {
		skb_log_error("afpacket: block %u returned but not lent", b);
		return;
	}
	r->lent_skbs--;
	if (!--r->lent[b]) {
		r->held--;
		if (!(r->reading && b == r->cur))
			afp_v3_block_done(r, b);
	}
	if (!r->priv && !r->lent_skbs)
		afp_v3_free(r);
}

/* Copy the header of the frame at @off of block @cur.  Return: false if bad. */
static bool afp_v3_frame_read(const struct afp_v3ring *r, u32 off, struct afp_v3_frame *f)
{
	const u8 *blk = (const u8 *)afp_v3_block(r, r->cur);
	struct tpacket3_hdr h;

	if (off < sizeof(struct tpacket_block_desc) || off + sizeof(h) > r->block_size)
		return false;
	memcpy(&h, blk + off, sizeof(h));
	if (h.tp_mac < sizeof(h) + VNET_HDR_LEN || (u64)off + h.tp_mac + h.tp_snaplen > r->block_size)
		return false;
	f->off = off;
	f->mac = h.tp_mac;
	f->snaplen = h.tp_snaplen;
	f->len = h.tp_len;
	f->status = h.tp_status;
	f->next = h.tp_next_offset;
	memcpy(&f->vh, blk + off + h.tp_mac - VNET_HDR_LEN, sizeof(f->vh));
	return true;
}

/*
 * An skb for frame @f: over the block when there is room for the shared info
 * before @limit (the next frame's data, or the block's end) and the ring can
 * spare the block, else a pool copy.  Return: the skb, or NULL (no memory).
 */
static struct sk_buff *afp_v3_skb(struct afp_v3ring *r, const struct afp_v3_frame *f, u32 limit)
{
	struct net_device *dev = r->priv->dev;
	u8 *blk = (u8 *)afp_v3_block(r, r->cur);
	u32 data = f->off + f->mac, head = ALIGN(r->low, 8);
	u32 sh = ALIGN(data + f->snaplen, 8);
	struct sk_buff *skb;

	if (head <= data && sh + AFP_SHINFO_SIZE <= limit && !((data + ETH_HDR_LEN) & 3) &&
	    (r->lent[r->cur] || r->held < r->max_held)) {
		skb = build_skb(dev->stack, blk + head, sh + (u32)AFP_SHINFO_SIZE - head,
				afp_v3_release, r);
		if (!skb)
			return NULL;
		if (!r->lent[r->cur]++)
			r->held++;
		r->lent_skbs++;
		r->low = sh + (u32)AFP_SHINFO_SIZE;
		skb_reserve(skb, (int)(data - head));
		skb_put(skb, f->snaplen);
		return skb;
	}
	skb = netdev_alloc_skb(dev, f->snaplen);
	if (!skb)
		return NULL;
	skb_put_data(skb, blk + data, f->snaplen);
	r->copied++;
	return skb;
}

/* Hand frame @f up (or drop it, counted).  Return: 1 (a frame was used). */
static int afp_v3_frame(struct afp_v3ring *r, const struct afp_v3_frame *f, u32 limit,
			bool deliver)
{
	struct afpacket_priv *p = r->priv;
	struct net_device *dev = p->dev;
	struct sk_buff *skb;

	if (!deliver)
		return 1;
	if (unlikely(f->snaplen < f->len)) {
		p->st.rx_truncated++;
		dev->stats.rx_errors++;
		return 1;
	}
	skb = afp_v3_skb(r, f, limit);
	if (unlikely(!skb)) {
		dev->stats.rx_dropped++;
		return 1;
	}
	skb->dev = dev;
	skb->tstamp = p->now;
	if (unlikely(afp_rx_vnet(p, skb, &f->vh))) {
		dev->stats.rx_errors++;
		kfree_skb_reason(skb, SKB_DROP_REASON_VNET_HDR_INVALID);
		return 1;
	}
	/* Only a fallback: the vnet header says this and more. */
	if (skb->ip_summed == CHECKSUM_NONE && (f->status & TP_STATUS_CSUM_VALID))
		skb->ip_summed = CHECKSUM_UNNECESSARY;
	eth_rx(skb, dev);
	return 1;
}

/*
 * Whether the kernel has handed block @b (not being read) over: it is
 * TP_STATUS_USER and no skb still holds it from the last lap.  A held block
 * is where the kernel, which fills strictly in order, has stopped; reading
 * it again would hand its frames up twice and build skbs over live ones.
 */
static bool afp_v3_block_ready(const struct afp_v3ring *r, u32 b)
{
	return !r->lent[b] && (__atomic_load_n(&afp_v3_block(r, b)->hdr.bh1.block_status,
					       __ATOMIC_ACQUIRE) & TP_STATUS_USER);
}

/* Take block @cur from the kernel if it has handed it over. */
static bool afp_v3_block_open(struct afp_v3ring *r)
{
	struct tpacket_block_desc *bd = afp_v3_block(r, r->cur);

	if (!afp_v3_block_ready(r, r->cur))
		return false;
	r->reading = true;
	r->user++;
	r->blocks_read++;
	r->left = bd->hdr.bh1.num_pkts;
	r->low = bd->hdr.bh1.offset_to_first_pkt;
	if (r->left && !afp_v3_frame_read(r, r->low, &r->next)) {
		r->priv->dev->stats.rx_errors++;
		r->left = 0;
	}
	return true;
}

/* Done reading block @cur: give it back now unless skbs still hold it. */
static void afp_v3_block_close(struct afp_v3ring *r)
{
	r->reading = false;
	if (!r->lent[r->cur])
		afp_v3_block_done(r, r->cur);
	r->cur = (r->cur + 1) % r->nblocks;
}

/**
 * afp_v3_rx - hand up to @budget frames from the ring to eth_rx (with
 * @deliver false, skip them), resuming mid-block where the last call
 * stopped.  Return: frames used.
 */
int afp_v3_rx(struct afpacket_priv *p, int budget, bool deliver)
{
	struct afp_v3ring *r = p->v3;
	int done = 0;

	while (done < budget) {
		struct afp_v3_frame f;
		u32 limit = r->block_size;

		if (!r->reading && !afp_v3_block_open(r))
			break;
		if (!r->left) {
			afp_v3_block_close(r);
			continue;
		}
		f = r->next;
		if (--r->left) {
			/* Before this frame's skb can cover the next header. */
			if (afp_v3_frame_read(r, f.off + f.next, &r->next) && f.next) {
				limit = r->next.off + r->next.mac;
			} else {
				p->dev->stats.rx_errors++;
				r->left = 0;
			}
		}
		done += afp_v3_frame(r, &f, limit, deliver);
	}
	return done;
}

/** afp_v3_pending - whether the ring holds frames not yet handed up. */
bool afp_v3_pending(const struct afpacket_priv *p)
{
	const struct afp_v3ring *r = p->v3;

	return r->reading || afp_v3_block_ready(r, r->cur);
}

/** afp_v3_get_stats - fill the TPACKET_V3 counters of @s (blocks). */
void afp_v3_get_stats(const struct afpacket_priv *p, struct afpacket_stats *s)
{
	const struct afp_v3ring *r = p->v3;

	s->rx_bufs_total = r->nblocks;
	s->rx_bufs_lent = r->held;
	s->rx_bufs_in_ring = r->nblocks - r->user;
	s->rx_blocks_read = r->blocks_read;
	s->rx_copied = r->copied;
}

/**
 * afp_v3_create - put a TPACKET_V3 receive ring on the device's socket (not
 * yet bound, PACKET_VNET_HDR already on) and map it.
 * Return: 0, -EINVAL (a block too small for rx_frame_max), -ENOMEM, or the
 * kernel's error.
 */
int afp_v3_create(struct afpacket_priv *p, const struct afpacket_config *c)
{
	/* The IP header 4-aligned, as in a multishot buffer: the kernel puts
	 * the frame at TPACKET_ALIGN(hdrlen + 16) + reserve + 10 - 14. */
	int ver = TPACKET_V3, reserve = NET_SKB_PAD - NET_IP_ALIGN;
	struct tpacket_req3 req = { 0 };
	struct afp_v3ring *r;

	if (c->rx_block_size < c->rx_frame_max + 256 + (u32)reserve)
		return -EINVAL;
	if (setsockopt(p->fd, SOL_PACKET, PACKET_VERSION, &ver, sizeof(ver)) < 0 ||
	    setsockopt(p->fd, SOL_PACKET, PACKET_RESERVE, &reserve, sizeof(reserve)) < 0)
		return -errno;
	req.tp_block_size = c->rx_block_size;
	req.tp_block_nr = c->rx_blocks;
	/* V3 places frames by their length; tp_frame_size only has to add up. */
	req.tp_frame_size = 2048;
	req.tp_frame_nr = c->rx_block_size / 2048 * c->rx_blocks;
	req.tp_retire_blk_tov = c->rx_retire_ms;
	if (setsockopt(p->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)) < 0)
		return -errno;
	r = kzalloc(NULL, sizeof(*r));
	if (!r)
		return -ENOMEM;
	p->v3 = r;
	r->priv = p;
	r->block_size = c->rx_block_size;
	r->nblocks = c->rx_blocks;
	r->max_held = c->rx_blocks / 2;
	r->map_len = (size_t)c->rx_block_size * c->rx_blocks;
	r->lent = kcalloc(NULL, r->nblocks, sizeof(*r->lent));
	r->map = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, p->fd, 0);
	if (r->map == MAP_FAILED) {
		r->map = NULL;
		return -errno;
	}
	return r->lent ? 0 : -ENOMEM;
}

/**
 * afp_v3_detach - the device is going: the ring stays mapped while skbs
 * still point into it, and the last one unmaps it (afp_v3_release).
 */
/**
 * afp_v3_forget_after_fork - in a child of fork: the ring is a mapping of
 * the parent's socket and would keep it alive; unmap it, touch nothing.
 */
void afp_v3_forget_after_fork(struct afpacket_priv *p)
{
	if (p->v3 && p->v3->map)
		munmap(p->v3->map, p->v3->map_len);
	p->v3 = NULL;
}

void afp_v3_detach(struct afpacket_priv *p)
{
	struct afp_v3ring *r = p->v3;

	p->v3 = NULL;
	r->priv = NULL;
	if (!r->lent_skbs)
		afp_v3_free(r);
	else
		skb_log(p->dev->stack, LOG_INFO,
			"afpacket: %u frames still lent; the ring goes with the last",
			r->lent_skbs);
}
