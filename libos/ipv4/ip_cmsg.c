/*
 * ip_cmsg.c - ancillary data of IPv4 datagram sockets and their error
 * queue, as Linux gives them (ip_cmsg.h has the call chain).  Read first:
 * cmsg(3), ip(7) (IP_PKTINFO, IP_RECVERR), socket(7) (SO_TIMESTAMP*),
 * Documentation/networking/timestamping.rst, RFC 1122 §4.1.3.3 (ICMP
 * errors reach the application).
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <linux/net_tstamp.h>
#include <netinet/in.h>

#include "icmp.h"
#include "inetdevice.h"
#include "ip_cmsg.h"
#include "netdevice.h"
#include "skbuff.h"
#include "sock.h"
#include "stack.h"
#include "udp.h"

/**
 * msg_cmsg_done - after a successful sock_recvmsg: put @msg's control
 * pointer back to @control and make msg_controllen what was written, as
 * recvmsg(2) returns it (____sys_recvmsg).  On an error the caller puts
 * both back as they were.
 */
void msg_cmsg_done(struct msghdr *msg, void *control)
{
	msg->msg_controllen = control ? (size_t)((char *)msg->msg_control - (char *)control) : 0;
	msg->msg_control = control;
}

/** dev_user_ifindex - the ifindex applications know @dev by (the host's). */
int dev_user_ifindex(const struct net_device *dev)
{
	if (!dev)
		return 0;
	return dev->host_ifindex ? dev->host_ifindex : dev->ifindex;
}

/*
 * The time @skb arrived, as CLOCK_REALTIME ns.  A frame without a device
 * timestamp (loopback) is stamped now, as Linux stamps at netif_receive_skb.
 */
static ktime_t skb_real_tstamp(struct sock *sk, struct sk_buff *skb)
{
	struct stack *st = sk->sk_stack;

	if (!skb->tstamp)
		skb->tstamp = stack_now(st);
	return stack_real_time(st, skb->tstamp);
}

/**
 * sock_recv_timestamp - SCM_TIMESTAMP (timeval) or SCM_TIMESTAMPNS
 * (timespec) as SO_TIMESTAMP/SO_TIMESTAMPNS asked, then SCM_TIMESTAMPING's
 * software stamp (ts[0]) when SOF_TIMESTAMPING_SOFTWARE reports and
 * SOF_TIMESTAMPING_RX_SOFTWARE generates (__sock_recv_timestamp).
 */
void sock_recv_timestamp(struct msghdr *msg, struct sock *sk, struct sk_buff *skb)
{
	u32 tsf = sk->sk_tsflags;
	ktime_t t;

	if (!sock_flag(sk, SOCK_RCVTSTAMP) &&
	    !((tsf & SOF_TIMESTAMPING_SOFTWARE) && (tsf & SOF_TIMESTAMPING_RX_SOFTWARE)))
		return;
	t = skb_real_tstamp(sk, skb);
	if (sock_flag(sk, SOCK_RCVTSTAMP) && !sock_flag(sk, SOCK_RCVTSTAMPNS)) {
		struct timeval tv = { .tv_sec = t / NSEC_PER_SEC,
				      .tv_usec = (t % NSEC_PER_SEC) / 1000 };

		put_cmsg(msg, SOL_SOCKET, SO_TIMESTAMP_OLD, sizeof(tv), &tv);
	} else if (sock_flag(sk, SOCK_RCVTSTAMP)) {
		struct timespec ts = { .tv_sec = t / NSEC_PER_SEC, .tv_nsec = t % NSEC_PER_SEC };

		put_cmsg(msg, SOL_SOCKET, SO_TIMESTAMPNS_OLD, sizeof(ts), &ts);
	}
	if ((tsf & SOF_TIMESTAMPING_SOFTWARE) && (tsf & SOF_TIMESTAMPING_RX_SOFTWARE)) {
		struct timespec tss[3];

		memset(tss, 0, sizeof(tss));
		tss[0].tv_sec = t / NSEC_PER_SEC;
		tss[0].tv_nsec = t % NSEC_PER_SEC;
		put_cmsg(msg, SOL_SOCKET, SO_TIMESTAMPING_OLD, sizeof(tss), tss);
	}
}

static void __ip_cmsg_recv(struct msghdr *msg, struct sock *sk, struct sk_buff *skb, bool errq);

/*
 * ipi_spec_dst: the address a reply would come from (fib_compute_spec_dst):
 * the destination itself when it is ours, else (broadcast) the address of
 * the device it came in on.
 */
static __be32 skb_spec_dst(struct sock *sk, struct sk_buff *skb)
{
	__be32 daddr = ip_hdr(skb)->daddr;
	struct in_device *in_dev = skb->dev ? __in_dev_get(skb->dev) : NULL;

	if (inet_addr_type(sk->sk_stack, daddr) == RTN_LOCAL)
		return daddr;
	return in_dev ? in_dev->ifa_local : 0;
}

/**
 * ip_cmsg_recv - the IPPROTO_IP control messages a datagram socket asked
 * for, in Linux's order (ip_cmsg_recv_offset): IP_PKTINFO, IP_TTL, IP_TOS,
 * IP_ORIGDSTADDR.  @skb's network header is its IP header; its transport
 * header, for IP_ORIGDSTADDR, is a UDP header.  Borrows @skb.
 */
void ip_cmsg_recv(struct msghdr *msg, struct sock *sk, struct sk_buff *skb)
{
	__ip_cmsg_recv(msg, sk, skb, false);
}

/* ip_cmsg_recv, or for an error-queue entry (@errq: an ICMP) */
static void __ip_cmsg_recv(struct msghdr *msg, struct sock *sk, struct sk_buff *skb, bool errq)
{
	struct inet_sock *inet = inet_sk(sk);
	const struct iphdr *iph = ip_hdr(skb);

	if (inet->pktinfo) {
		struct in_pktinfo info = { .ipi_ifindex = dev_user_ifindex(skb->dev) };

		/* an error-queue entry (an ICMP) has no spec_dst, as in Linux */
		if (!errq)
			info.ipi_spec_dst.s_addr = skb_spec_dst(sk, skb);
		info.ipi_addr.s_addr = iph->daddr;
		put_cmsg(msg, SOL_IP, IP_PKTINFO, sizeof(info), &info);
	}
	if (inet->recvttl) {
		int ttl = iph->ttl;

		put_cmsg(msg, SOL_IP, IP_TTL, sizeof(ttl), &ttl);
	}
	if (inet->recvtos)
		put_cmsg(msg, SOL_IP, IP_TOS, 1, &iph->tos);
	if (inet->origdstaddr && sk->sk_protocol == IPPROTO_UDP &&
	    skb_transport_header_was_set(skb)) {
		const struct udphdr *uh = (const struct udphdr *)(const void *)skb_transport_header(skb);
		struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = uh->dest };

		sin.sin_addr.s_addr = iph->daddr;
		put_cmsg(msg, SOL_IP, IP_ORIGDSTADDR, sizeof(sin), &sin);
	}
}

/* The device applications number @ifindex (the host's numbering). */
static struct net_device *dev_get_by_user_index(struct stack *st, int ifindex)
{
	struct net_device *dev;

	list_for_each_entry(dev, &st->dev_list, dev_list)
		if (dev_user_ifindex(dev) == ifindex)
			return dev;
	return NULL;
}

/* One IPPROTO_IP control message of sendmsg (ip_cmsg_send's switch). */
static int ip_cmsg_send_one(struct sock *sk, const struct cmsghdr *cm, struct ipcm_cookie *ipc)
{
	size_t dlen = cm->cmsg_len - CMSG_LEN(0);
	const void *data = CMSG_DATA((struct cmsghdr *)(uintptr_t)cm);
	struct in_pktinfo info;
	struct net_device *dev;
	int val;

	switch (cm->cmsg_type) {
	case IP_PKTINFO:
		if (dlen != sizeof(info))
			return -EINVAL;
		memcpy(&info, data, sizeof(info));
		if (info.ipi_ifindex) {
			dev = dev_get_by_user_index(sk->sk_stack, info.ipi_ifindex);
			if (!dev)
				return -ENODEV; /* Linux: the route lookup's answer */
			ipc->oif = dev->ifindex;
		}
		ipc->addr = info.ipi_spec_dst.s_addr;
		return 0;
	case IP_TTL:
		if (dlen != sizeof(int))
			return -EINVAL;
		memcpy(&val, data, sizeof(val));
		if (val < 1 || val > 255)
			return -EINVAL;
		ipc->ttl = val;
		return 0;
	case IP_TOS:
		if (dlen == sizeof(int))
			memcpy(&val, data, sizeof(val));
		else if (dlen == 1)
			val = *(const u8 *)data;
		else
			return -EINVAL;
		if (val < 0 || val > 255)
			return -EINVAL;
		ipc->tos = val;
		return 0;
	default:
		return -EINVAL;
	}
}

/*
 * A SOL_SOCKET control message of sendmsg (__sock_cmsg_send): SCM_RIGHTS
 * and SCM_CREDENTIALS belong to AF_UNIX and are ignored; SO_MARK,
 * SO_PRIORITY and SO_TIMESTAMPING take a u32 (accepted, no per-datagram
 * effect in skbos: README); anything else is EINVAL.
 */
static int sock_cmsg_send_one(const struct cmsghdr *cm)
{
	switch (cm->cmsg_type) {
	case SCM_RIGHTS:
	case SCM_CREDENTIALS:
		return 0;
	case SO_MARK:
	case SO_PRIORITY:
	case SO_TIMESTAMPING_OLD:
		return cm->cmsg_len == CMSG_LEN(sizeof(u32)) ? 0 : -EINVAL;
	default:
		return -EINVAL;
	}
}

/**
 * ip_cmsg_send - read sendmsg's control messages into @ipc (starts at
 * "nothing asked").  SOL_IP: IP_PKTINFO, IP_TTL, IP_TOS; SOL_SOCKET ones are
 * refused as Linux refuses SCM_RIGHTS on an inet socket (EINVAL); other
 * levels are skipped.  Return: 0 or -errno (EINVAL for a malformed message).
 */
int ip_cmsg_send(struct sock *sk, struct msghdr *msg, struct ipcm_cookie *ipc)
{
	struct cmsghdr *cm;
	int err;

	ipc->addr = 0;
	ipc->oif = 0;
	ipc->ttl = -1;
	ipc->tos = -1;
	if (!msg->msg_control || !msg->msg_controllen)
		return 0;
	for (cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm)) {
		/* CMSG_OK: the header fits and the length stays in the buffer */
		if (cm->cmsg_len < sizeof(*cm) ||
		    cm->cmsg_len > msg->msg_controllen - (size_t)((char *)cm - (char *)msg->msg_control))
			return -EINVAL;
		if (cm->cmsg_level == SOL_SOCKET) {
			err = sock_cmsg_send_one(cm);
			if (err)
				return err;
			continue;
		}
		if (cm->cmsg_level != SOL_IP)
			continue;
		err = ip_cmsg_send_one(sk, cm, ipc);
		if (err)
			return err;
	}
	return 0;
}

/**
 * ip_icmp_error - queue an ICMP error about a datagram @sk sent on its
 * error queue, for recvmsg(MSG_ERRQUEUE) (IP_RECVERR).  @skb: the ICMP
 * packet, its data at the quoted IP header; @payload: where the quoted
 * transport payload starts; @port: the quoted destination port.  A local
 * error (IPSKB_LOCAL_ERROR) has origin SO_EE_ORIGIN_LOCAL.  Borrows @skb
 * (a clone is queued).
 */
void ip_icmp_error(struct sock *sk, struct sk_buff *skb, int err, __be16 port, u32 info,
		   const u8 *payload)
{
	const struct iphdr *inner = (const struct iphdr *)(const void *)skb->data;
	bool local = IPCB(skb)->flags & IPSKB_LOCAL_ERROR;
	const struct icmphdr *icmph;
	struct sock_exterr_skb *serr;
	struct sk_buff *c;

	if (!inet_sk(sk)->recverr)
		return;
	/* it may wait for the application: never pin a device buffer (a
	 * copy keeps the header offsets, so offsets from @skb hold in it) */
	c = skb_has_external_data(skb) ? skb_copy_compact(skb) : skb_clone(skb);
	if (!c)
		return;
	serr = SKB_EXT_ERR(c);
	memset(serr, 0, sizeof(*serr));
	serr->ee.ee_errno = (u32)err;
	if (local) {
		serr->ee.ee_origin = SO_EE_ORIGIN_LOCAL; /* no ICMP: the quoted header is ours */
	} else {
		icmph = (const struct icmphdr *)((const u8 *)inner - sizeof(*icmph));
		serr->ee.ee_origin = SO_EE_ORIGIN_ICMP;
		serr->ee.ee_type = icmph->type;
		serr->ee.ee_code = icmph->code;
	}
	serr->ee.ee_info = info;
	serr->addr_offset = (u16)((const u8 *)&inner->daddr - skb_network_header(skb));
	serr->port = port;
	skb_pull(c, (unsigned int)(payload - skb->data));
	c->transport_header = SKB_HEADER_UNSET; /* no IP_ORIGDSTADDR for an error */
	if (sock_queue_err_skb(sk, c))
		kfree_skb(c);
}

/**
 * sock_queue_err_skb - add @skb to @sk's error queue, charged to its
 * receive buffer (net/core/skbuff.c).  Consumes @skb on success.
 * Return: 0 or -ENOMEM when the receive buffer is full.
 */
int sock_queue_err_skb(struct sock *sk, struct sk_buff *skb)
{
	if (sk->sk_rmem_alloc + (int)skb->truesize >= sk->sk_rcvbuf)
		return -ENOMEM;
	skb_set_owner_r(skb, sk);
	skb_queue_tail(&sk->sk_error_queue, skb);
	if (!sock_flag(sk, SOCK_DEAD))
		sk->sk_error_report(sk);
	return 0;
}

/**
 * sock_dequeue_err_skb - the oldest error-queue entry, or NULL.  SO_ERROR
 * follows the queue as in Linux: the next ICMP entry's errno, or 0 once the
 * last is read.
 */
struct sk_buff *sock_dequeue_err_skb(struct sock *sk)
{
	struct sk_buff *skb = skb_dequeue(&sk->sk_error_queue), *next;

	if (!skb)
		return NULL;
	next = skb_peek(&sk->sk_error_queue);
	if (next && SKB_EXT_ERR(next)->ee.ee_origin == SO_EE_ORIGIN_ICMP)
		sk->sk_err = (int)SKB_EXT_ERR(next)->ee.ee_errno;
	else if (SKB_EXT_ERR(skb)->ee.ee_origin == SO_EE_ORIGIN_ICMP)
		sk->sk_err = 0;
	return skb;
}

/**
 * ip_recv_error - recvmsg(MSG_ERRQUEUE): the oldest queued error: its
 * quoted payload as data, the quoted destination as msg_name, and an
 * IP_RECVERR message (sock_extended_err, then the offender: the ICMP
 * sender); MSG_ERRQUEUE in msg_flags.  Return: bytes or -EAGAIN when the
 * queue is empty.
 */
int ip_recv_error(struct sock *sk, struct msghdr *msg, size_t len, int *addr_len)
{
	struct {
		struct sock_extended_err ee;
		struct sockaddr_in offender;
	} errhdr;
	struct sockaddr_in *sin = msg->msg_name;
	struct sock_exterr_skb *serr;
	struct sk_buff *skb;
	size_t copied, off = 0;
	int err;

	skb = sock_dequeue_err_skb(sk);
	if (!skb)
		return -EAGAIN;
	copied = skb->len;
	if (copied > len) {
		msg->msg_flags |= MSG_TRUNC;
		copied = len;
	}
	err = memcpy_to_msg(msg, skb->data, copied, &off);
	if (err)
		goto out;
	serr = SKB_EXT_ERR(skb);
	if (sin) {
		memset(sin, 0, sizeof(*sin));
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr.s_addr, skb_network_header(skb) + serr->addr_offset, 4);
		sin->sin_port = serr->port;
		*addr_len = sizeof(*sin);
	}
	memset(&errhdr, 0, sizeof(errhdr));
	errhdr.ee = serr->ee;
	if (serr->ee.ee_origin == SO_EE_ORIGIN_ICMP) {
		errhdr.offender.sin_family = AF_INET;
		errhdr.offender.sin_addr.s_addr = ip_hdr(skb)->saddr;
		__ip_cmsg_recv(msg, sk, skb, true);
	}
	put_cmsg(msg, SOL_IP, IP_RECVERR, sizeof(errhdr), &errhdr);
	msg->msg_flags |= MSG_ERRQUEUE;
	err = (int)copied;
out:
	kfree_skb(skb);
	return err;
}
