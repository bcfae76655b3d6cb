/*
 * test_api_cmsg.c - ancillary data through the native API (skbos_recvmsg,
 * skbos_sendmsg), over the in-process loopback (SKBOS_LOOPBACK=1, no root):
 * the same core as the shim (tests/test_cmsg.sh replays the kernel's table
 * there); here the API's own msghdr handling: msg_controllen becomes what
 * was written, MSG_CTRUNC when short, untouched on an error, and the
 * error queue read with MSG_ERRQUEUE.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <errno.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "api_fixture.h"

TestSuite(api_cmsg, .init = api_init, .fini = api_fini, .timeout = 30);

static void wait_in(int fd, short ev)
{
	struct pollfd p = { .fd = fd, .events = ev };

	cr_assert(eq(int, skbos_poll(&p, 1, 5000), 1), "readiness 0x%x", ev);
}

Test(api_cmsg, ttl_sent_in_a_cmsg_comes_back_with_pktinfo)
{
	struct sockaddr_in ra, sa;
	int r = api_bound(SOCK_DGRAM, &ra), s = api_bound(SOCK_DGRAM, &sa), one = 1, ttl = 9, got_ttl = 0;
	unsigned char c[CMSG_SPACE(sizeof(int))] __attribute__((aligned(8))) = { 0 };
	unsigned char rc[128] __attribute__((aligned(8)));
	char data[16];
	struct iovec iov = { "hello", 5 }, riov = { data, sizeof(data) };
	struct msghdr m = { .msg_name = &ra, .msg_namelen = sizeof(ra), .msg_iov = &iov,
			    .msg_iovlen = 1, .msg_control = c, .msg_controllen = sizeof(c) };
	struct msghdr rm = { .msg_iov = &riov, .msg_iovlen = 1, .msg_control = rc,
			     .msg_controllen = sizeof(rc) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	struct in_pktinfo pi = { 0 };
	int seen = 0;

	cm->cmsg_len = CMSG_LEN(sizeof(int));
	cm->cmsg_level = SOL_IP;
	cm->cmsg_type = IP_TTL;
	memcpy(CMSG_DATA(cm), &ttl, sizeof(ttl));
	skbos_setsockopt(r, SOL_IP, IP_PKTINFO, &one, sizeof(one));
	skbos_setsockopt(r, SOL_IP, IP_RECVTTL, &one, sizeof(one));
	cr_assert(eq(long, skbos_sendmsg(s, &m, 0), 5));
	wait_in(r, POLLIN);
	cr_assert(eq(long, skbos_recvmsg(r, &rm, 0), 5));
	cr_assert(eq(int, memcmp(data, "hello", 5), 0));
	cr_assert(eq(sz, rm.msg_controllen, CMSG_SPACE(sizeof(pi)) + CMSG_SPACE(sizeof(int))));
	cr_assert(eq(ptr, rm.msg_control, rc), "msg_control is the caller's again");
	cr_assert(eq(int, rm.msg_flags, 0));
	for (cm = CMSG_FIRSTHDR(&rm); cm; cm = CMSG_NXTHDR(&rm, cm)) {
		if (cm->cmsg_level == SOL_IP && cm->cmsg_type == IP_PKTINFO)
			memcpy(&pi, CMSG_DATA(cm), sizeof(pi)), seen |= 1;
		if (cm->cmsg_level == SOL_IP && cm->cmsg_type == IP_TTL)
			memcpy(&got_ttl, CMSG_DATA(cm), sizeof(got_ttl)), seen |= 2;
	}
	cr_assert(eq(int, seen, 3));
	cr_assert(eq(int, pi.ipi_ifindex, 1), "lo, as the kernel numbers it");
	cr_assert(eq(u32, pi.ipi_addr.s_addr, htonl(INADDR_LOOPBACK)));
	cr_assert(eq(u32, pi.ipi_spec_dst.s_addr, htonl(INADDR_LOOPBACK)));
	cr_assert(eq(int, got_ttl, 9));
	skbos_close(r);
	skbos_close(s);
}

Test(api_cmsg, short_control_buffer_is_ctrunc_and_an_error_leaves_it)
{
	struct sockaddr_in ra, sa;
	int r = api_bound(SOCK_DGRAM, &ra), s = api_bound(SOCK_DGRAM, &sa), one = 1;
	unsigned char rc[20] __attribute__((aligned(8)));
	char data[16];
	struct iovec riov = { data, sizeof(data) };
	struct msghdr rm = { .msg_iov = &riov, .msg_iovlen = 1, .msg_control = rc,
			     .msg_controllen = sizeof(rc) };

	skbos_setsockopt(r, SOL_IP, IP_PKTINFO, &one, sizeof(one));
	cr_assert(eq(long, skbos_recvmsg(r, &rm, MSG_DONTWAIT), -1));
	cr_assert(eq(int, errno, EAGAIN));
	cr_assert(eq(sz, rm.msg_controllen, sizeof(rc)), "untouched on an error");
	cr_assert(eq(long, skbos_sendto(s, "x", 1, 0, (struct sockaddr *)&ra, sizeof(ra)), 1));
	wait_in(r, POLLIN);
	cr_assert(eq(long, skbos_recvmsg(r, &rm, 0), 1));
	cr_assert(eq(int, rm.msg_flags, MSG_CTRUNC));
	cr_assert(eq(sz, rm.msg_controllen, sizeof(rc)), "the cut message fills the buffer");
	cr_assert(eq(sz, CMSG_FIRSTHDR(&rm)->cmsg_len, sizeof(rc)));
	skbos_close(r);
	skbos_close(s);
}

Test(api_cmsg, port_unreachable_is_queued_for_msg_errqueue)
{
	struct sockaddr_in ra, ca;
	int r = api_bound(SOCK_DGRAM, &ra), cl = api_bound(SOCK_DGRAM, &ca), one = 1, soerr = -1;
	socklen_t l = sizeof(soerr);
	unsigned char rc[128] __attribute__((aligned(8)));
	char data[16];
	struct sockaddr_in from;
	struct iovec riov = { data, sizeof(data) };
	struct msghdr rm = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &riov,
			     .msg_iovlen = 1, .msg_control = rc, .msg_controllen = sizeof(rc) };
	struct sock_extended_err ee;
	struct cmsghdr *cm;

	skbos_close(cl); /* ca's port is closed now */
	skbos_setsockopt(r, SOL_IP, IP_RECVERR, &one, sizeof(one));
	cr_assert(eq(long, skbos_sendto(r, "ping", 4, 0, (struct sockaddr *)&ca, sizeof(ca)), 4));
	wait_in(r, POLLERR);
	cr_assert(eq(long, skbos_recvmsg(r, &rm, MSG_ERRQUEUE), 4));
	cr_assert(eq(int, memcmp(data, "ping", 4), 0), "the datagram's payload");
	cr_assert(eq(int, rm.msg_flags, MSG_ERRQUEUE));
	cr_assert(eq(u16, from.sin_port, ca.sin_port), "msg_name: where it was sent");
	cm = CMSG_FIRSTHDR(&rm);
	cr_assert(ne(ptr, cm, NULL));
	cr_assert(eq(int, cm->cmsg_type, IP_RECVERR));
	memcpy(&ee, CMSG_DATA(cm), sizeof(ee));
	cr_assert(eq(u32, ee.ee_errno, ECONNREFUSED));
	cr_assert(eq(u8, ee.ee_origin, SO_EE_ORIGIN_ICMP));
	cr_assert(eq(u8, ee.ee_type, 3));
	cr_assert(eq(u8, ee.ee_code, 3));
	cr_assert(eq(int, skbos_getsockopt(r, SOL_SOCKET, SO_ERROR, &soerr, &l), 0));
	cr_assert(eq(int, soerr, 0), "read: SO_ERROR follows the queue");
	cr_assert(eq(long, skbos_recvmsg(r, &rm, MSG_ERRQUEUE | MSG_DONTWAIT), -1));
	cr_assert(eq(int, errno, EAGAIN));
	skbos_close(r);
}
