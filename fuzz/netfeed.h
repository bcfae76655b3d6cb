/*
 * netfeed.h - the fuzz_input scenario: arbitrary bytes as Ethernet frames
 * into a stack that is busy.
 *
 * Stack B (10.0.0.2, the one under test) and a peer stack A (10.0.0.1) on
 * the harness's wire (tests/harness/inet.h), on virtual time.  Before the
 * first frame B has:
 *   - a listening TCP socket on port 80,
 *   - an established connection from A's port NETFEED_CLI_PORT to B:80,
 *   - an active open to 10.0.0.3:443, a host that does not answer ARP (the
 *     SYN waits in the neighbour queue until an ARP reply shows up),
 *   - a UDP socket bound to port 53 and a raw ICMP socket,
 *   - the first fragment of a UDP datagram from A to port 53 (IP id
 *     NETFEED_FRAG_ID) in its reassembly queue,
 *   - a neighbour entry for a phantom host 10.0.0.9 (NETFEED_PHANTOM_*), which
 *     asked for B by ARP: frames from it are the fuzzer's own, and what B
 *     sends it goes out on the wire, where A ignores it (not its MAC).
 *     A's own connection has a live peer that answers; the phantom's
 *     connections answer only what the input says.
 * Everything is seeded (ports, ISNs, IP IDs), so the same bytes give the same
 * run: a crash found by the fuzzer replays in the regression test.
 *
 * The input is a sequence of records, each a 3-byte header and a frame:
 *   byte 0: NETFEED_* control bits (checksum fix-ups, buffer kind, what the
 *           application does first, how much virtual time passes after);
 *   bytes 1-2: the frame's length, big endian (cut short at the input's end);
 * then the frame from its Ethernet header, delivered to B's device.  After
 * each frame every socket is drained (accept, read), so queues stay small.
 * At the end every socket is closed, time runs out every timer, and nothing
 * may be left: no connection, no reassembly queue, no skb (a leak aborts).
 *
 * Shared by fuzz/fuzz_input.c, fuzz/gen_corpus.c and
 * tests/test_fuzz_regress.c.
 */
#ifndef SKBOS_FUZZ_NETFEED_H
#define SKBOS_FUZZ_NETFEED_H

#include <stddef.h>

#include "inet.h"
#include "sock.h"

#define NETFEED_TCP_PORT 80
#define NETFEED_UDP_PORT 53
#define NETFEED_CLI_PORT 40000
#define NETFEED_ACT_ADDR "10.0.0.3"
#define NETFEED_ACT_PORT 443
#define NETFEED_FRAG_ID 0x4242
#define NETFEED_MAX_ACCEPT 8
#define NETFEED_PHANTOM_ADDR "10.0.0.9"
extern const u8 netfeed_phantom_mac[ETH_ALEN];

/* Record control byte. */
#define NETFEED_FIX_IPCSUM 0x01  /* recompute the IPv4 header checksum */
#define NETFEED_FIX_L4CSUM 0x02  /* recompute TCP/UDP/ICMP checksums (unfragmented) */
#define NETFEED_ZEROCOPY 0x04    /* frame in a device-lent buffer (build_skb) */
#define NETFEED_ACT_SHIFT 3      /* 2 bits: what B's application does first */
#define NETFEED_ACT_NONE 0
#define NETFEED_ACT_WRITE 1      /* write NETFEED_WRITE_LEN bytes on the connections */
#define NETFEED_ACT_SHUTDOWN 2   /* shutdown(SHUT_WR) the accepted connection */
#define NETFEED_ACT_UDP 3        /* send a datagram from the UDP socket to A */
#define NETFEED_TIME_SHIFT 5     /* 3 bits: index into the time steps */
#define NETFEED_WRITE_LEN 4000
#define NETFEED_HDR_LEN 3

struct netfeed {
	struct inet_pair p;
	struct stack *sa, *sb;
	struct socket *lis, *srv, *cli, *act, *udp, *raw;
	struct socket *acc[NETFEED_MAX_ACCEPT];
	int nacc;
};

void netfeed_setup(struct netfeed *f);
void netfeed_frame(struct netfeed *f, u8 ctl, const u8 *frame, unsigned int len);
void netfeed_input(struct netfeed *f, const u8 *data, size_t size);
void netfeed_teardown(struct netfeed *f);
void netfeed_run(const u8 *data, size_t size);
void netfeed_fix_csums(u8 *frame, unsigned int len, u8 ctl);
size_t netfeed_record(u8 *out, u8 ctl, const void *frame, unsigned int len);

/* Frame builders for seeds and tests: checksums right, Ethernet to B. */
unsigned int netfeed_arp(u8 *buf, u16 op, const u8 *sha, __be32 sip, const u8 *tha, __be32 tip);

struct netfeed_tcp {
	const u8 *src_mac;
	__be32 saddr, daddr;
	u16 sport, dport;
	u32 seq, ack;
	u8 flags;        /* TCPHDR_* */
	u16 window;      /* 0: 65535 */
	const u8 *opt;   /* options, a multiple of 4 bytes */
	unsigned int optlen;
	const void *data;
	unsigned int len;
};
unsigned int netfeed_tcp_frame(u8 *buf, const struct netfeed_tcp *t);

#endif /* SKBOS_FUZZ_NETFEED_H */
