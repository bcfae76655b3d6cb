/*
 * ip_sockglue.c - IPPROTO_IP socket options (net/ipv4/ip_sockglue.c), with
 * Linux's quirks: an int option may be given in one byte (or zero bytes,
 * meaning 0), and read back in one byte when the buffer is that small and
 * the value fits.
 */
#include <string.h>

#include "ip_cmsg.h"
#include "sock.h"
#include "route.h"
#include "stack.h"

static int ip_get_int(const void *optval, unsigned int optlen, int *val)
{
	unsigned char uc;

	*val = 0;
	if (optlen >= sizeof(int)) {
		memcpy(val, optval, sizeof(int));
	} else if (optlen >= 1) {
		memcpy(&uc, optval, 1);
		*val = uc;
	}
	return 0;
}

/** ip_setsockopt - IPPROTO_IP options.  Return: 0 or -errno. */
int ip_setsockopt(struct sock *sk, int level, int optname, const void *optval, unsigned int optlen)
{
	struct inet_sock *inet = inet_sk(sk);
	int val;

	if (level != IPPROTO_IP)
		return -ENOPROTOOPT;
	ip_get_int(optval, optlen, &val);
	switch (optname) {
	case IP_TTL:
		if (optlen < 1)
			return -EINVAL;
		if (val != -1 && (val < 1 || val > 255))
			return -EINVAL;
		inet->uc_ttl = val;
		return 0;
	case IP_TOS:
		/* RFC 3168: a TCP socket's ECN bits belong to TCP, not to the user. */
		if (sk->sk_type == SOCK_STREAM)
			val = (val & ~0x03) | (inet->tos & 0x03);
		inet->tos = (u8)val;
		return 0;
	case IP_RECVERR:
		inet->recverr = val != 0;
		if (!val)
			skb_queue_purge(&sk->sk_error_queue);
		return 0;
	case IP_MTU_DISCOVER:
		if (val < IP_PMTUDISC_DONT || val > IP_PMTUDISC_OMIT)
			return -EINVAL;
		inet->pmtudisc = (u8)val;
		return 0;
	case IP_PKTINFO:
		inet->pktinfo = val != 0;
		return 0;
	case IP_RECVTOS:
		inet->recvtos = val != 0;
		return 0;
	case IP_RECVTTL:
		inet->recvttl = val != 0;
		return 0;
	case IP_RECVORIGDSTADDR:
		inet->origdstaddr = val != 0;
		return 0;
	case IP_MULTICAST_TTL:
		if (sk->sk_type == SOCK_STREAM)
			return -EINVAL;
		if (optlen < 1)
			return -EINVAL;
		if (val == -1)
			val = 1;
		if (val < 0 || val > 255)
			return -EINVAL;
		inet->mc_ttl = (u8)val;
		return 0;
	case IP_MULTICAST_LOOP:
		if (optlen < 1)
			return -EINVAL;
		inet->mc_loop = val != 0;
		return 0;
	case IP_HDRINCL:
		if (sk->sk_type != SOCK_RAW)
			return -ENOPROTOOPT;
		inet->hdrincl = val != 0;
		return 0;
	default:
		return -ENOPROTOOPT;
	}
}

/*
 * IP_PKTOPTIONS (TCP only): control messages about the connection, as
 * Linux 6.18 answers (recorded: tests/cmsg_linux.txt): IP_PKTINFO with the
 * local address and the ifindex the connection arrived on, IP_TTL with the
 * socket's TTL, IP_TOS (an int) with the SYN's TOS; *optlen becomes the
 * length written.
 */
static int ip_get_pktoptions(struct sock *sk, void *optval, unsigned int *optlen)
{
	struct inet_sock *inet = inet_sk(sk);
	struct msghdr msg = { .msg_control = optval, .msg_controllen = *optlen };

	if (sk->sk_type != SOCK_STREAM)
		return -ENOPROTOOPT;
	if ((int)*optlen < 0)
		return -EINVAL;
	if (inet->pktinfo) {
		struct in_pktinfo info = { .ipi_ifindex = inet->rx_dst_ifindex };

		info.ipi_addr.s_addr = sk->sk_rcv_saddr;
		info.ipi_spec_dst.s_addr = sk->sk_rcv_saddr;
		put_cmsg(&msg, SOL_IP, IP_PKTINFO, sizeof(info), &info);
	}
	if (inet->recvttl) {
		int ttl = inet->uc_ttl < 0 ? sk->sk_stack->sysctl.ip_default_ttl : inet->uc_ttl;

		put_cmsg(&msg, SOL_IP, IP_TTL, sizeof(ttl), &ttl);
	}
	if (inet->recvtos) {
		int tos = inet->rcv_tos;

		put_cmsg(&msg, SOL_IP, IP_TOS, sizeof(tos), &tos);
	}
	*optlen -= (unsigned int)msg.msg_controllen;
	return 0;
}

/** ip_getsockopt - IPPROTO_IP options.  Return: 0 or -errno. */
int ip_getsockopt(struct sock *sk, int level, int optname, void *optval, unsigned int *optlen)
{
	struct inet_sock *inet = inet_sk(sk);
	struct dst_entry *dst;
	unsigned int len = *optlen;
	int val;

	if (level != IPPROTO_IP)
		return -EOPNOTSUPP;
	if ((int)len < 0)
		return -EINVAL;
	switch (optname) {
	case IP_TTL:
		val = inet->uc_ttl < 0 ? sk->sk_stack->sysctl.ip_default_ttl : inet->uc_ttl;
		break;
	case IP_TOS: val = inet->tos; break;
	case IP_RECVERR: val = inet->recverr; break;
	case IP_MTU_DISCOVER: val = inet->pmtudisc; break;
	case IP_PKTINFO: val = inet->pktinfo; break;
	case IP_RECVTOS: val = inet->recvtos; break;
	case IP_RECVTTL: val = inet->recvttl; break;
	case IP_RECVORIGDSTADDR: val = inet->origdstaddr; break;
	case IP_PKTOPTIONS:
		return ip_get_pktoptions(sk, optval, optlen);
	case IP_MULTICAST_TTL: val = inet->mc_ttl; break;
	case IP_MULTICAST_LOOP: val = inet->mc_loop; break;
	case IP_HDRINCL: val = inet->hdrincl; break;
	case IP_OPTIONS:
		*optlen = 0; /* skbos sends no IP options */
		return 0;
	case IP_MTU:
		dst = __sk_dst_check(sk);
		if (!dst)
			return -ENOTCONN;
		val = (int)dst_mtu(dst);
		break;
	default:
		return -ENOPROTOOPT;
	}
	if (len < sizeof(int) && len > 0 && val >= 0 && val <= 255) {
		unsigned char uc = (unsigned char)val;

		memcpy(optval, &uc, 1);
		*optlen = 1;
		return 0;
	}
	if (len > sizeof(int))
		len = sizeof(int);
	memcpy(optval, &val, len);
	*optlen = len;
	return 0;
}
