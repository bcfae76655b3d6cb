/*
 * gen_corpus.c - write the seed corpora of the fuzz targets:
 *
 *   gen_corpus DIR   writes DIR/fuzz_input/, DIR/fuzz_options/ and DIR/fuzz_skb/
 *
 * fuzz_input seeds are valid conversations with the scenario of netfeed.h:
 * each is played through the same netfeed_frame() the target uses while it
 * is written, so sequence numbers come from the live sockets and from what B
 * sent (its SYN-ACK's ISN), and the seed replays exactly.  Regenerate with
 * `make -C fuzz-build -f ../fuzz/fuzz.mk SRCDIR=.. gen_corpus && fuzz-build/gen_corpus fuzz/corpus`
 * when the scenario changes.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <criterion/criterion.h>

#include "netfeed.h"
#include "arp.h"
#include "capture.h"
#include "checksum.h"
#include "frames.h"
#include "icmp.h"
#include "tcp.h"

/* Checksums fixed, 1 ms after each frame: what a mutated seed keeps. */
#define CTL (NETFEED_FIX_IPCSUM | NETFEED_FIX_L4CSUM | (1 << NETFEED_TIME_SHIFT))
#define CTL_ACT(a) (CTL | (a) << NETFEED_ACT_SHIFT)

static const char *outdir;

struct seed {
	struct netfeed f;
	struct capture cap; /* what B sends */
	u8 buf[32768];
	size_t len;
	u8 frame[2048];
};

static void write_file(const char *target, const char *name, const void *data, size_t len)
{
	char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", outdir, target);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/%s", outdir, target, name);
	fp = fopen(path, "wb");
	cr_assert(fp != NULL, "%s", path);
	cr_assert(fwrite(data, 1, len, fp) == len);
	fclose(fp);
}

static void seed_begin(struct seed *s)
{
	netfeed_setup(&s->f);
	capture_attach(&s->cap, s->f.sb, s->f.p.db, CAPTURE_TX);
	s->len = 0;
}

/* Append a record and play it, as the target will. */
static void emit(struct seed *s, u8 ctl, const u8 *frame, unsigned int len)
{
	s->len += netfeed_record(s->buf + s->len, ctl, frame, len);
	netfeed_frame(&s->f, ctl, frame, len);
}

static void seed_end(struct seed *s, const char *name)
{
	capture_detach(&s->cap);
	netfeed_teardown(&s->f);
	write_file("fuzz_input", name, s->buf, s->len);
}

/* The last TCP segment B sent with all of @flags: its sequence number. */
static u32 captured_seq(struct seed *s, u8 flags)
{
	struct sk_buff *skb;
	u32 seq = 0;
	bool found = false;

	while ((skb = capture_pop(&s->cap)) != NULL) {
		const u8 *p = skb->data + ETH_HLEN;

		if (skb->len >= ETH_HLEN + 40 && p[9] == IPPROTO_TCP && (p[20 + 13] & flags) == flags) {
			memcpy(&seq, p + 24, 4);
			found = true;
		}
		consume_skb(skb);
	}
	cr_assert(found, "B sent no segment with flags %#x", flags);
	return ntohl(seq);
}

/* A segment on A's connection, as A would send it next. */
static unsigned int a_seg(struct seed *s, u8 flags, u32 seq_off, const char *data, u16 window)
{
	struct tcp_sock *tp = tcp_sk(s->f.cli->sk);

	return netfeed_tcp_frame(s->frame, &(struct netfeed_tcp){
		.src_mac = mac_a, .saddr = s->f.p.a, .daddr = s->f.p.b, .sport = NETFEED_CLI_PORT,
		.dport = NETFEED_TCP_PORT, .seq = tp->snd_nxt + seq_off, .ack = tp->rcv_nxt, .flags = flags,
		.window = window, .data = data, .len = data ? (unsigned int)strlen(data) : 0 });
}

static void seeds_a_connection(void)
{
	static struct seed s;
	const char *req = "GET / HTTP/1.0\r\n\r\n";

	seed_begin(&s);
	emit(&s, CTL, s.frame, a_seg(&s, TCPHDR_PSH | TCPHDR_ACK, 0, req, 0));
	seed_end(&s, "a_data");

	seed_begin(&s);
	emit(&s, CTL, s.frame, a_seg(&s, TCPHDR_PSH | TCPHDR_ACK, 0, req, 0));
	emit(&s, CTL, s.frame, a_seg(&s, TCPHDR_FIN | TCPHDR_ACK, (u32)strlen(req), NULL, 0));
	seed_end(&s, "a_data_fin");

	seed_begin(&s);
	emit(&s, CTL, s.frame, a_seg(&s, TCPHDR_RST, 0, NULL, 0));
	seed_end(&s, "a_rst");

	/* B writes, then hears the window is closed: persist probes follow. */
	seed_begin(&s);
	emit(&s, CTL_ACT(NETFEED_ACT_WRITE) | 5 << NETFEED_TIME_SHIFT, s.frame,
	     a_seg(&s, TCPHDR_ACK, 0, NULL, 1));
	emit(&s, CTL | 6 << NETFEED_TIME_SHIFT, s.frame, a_seg(&s, TCPHDR_ACK, 0, NULL, 0));
	seed_end(&s, "a_zero_window");

	seed_begin(&s);
	emit(&s, CTL_ACT(NETFEED_ACT_SHUTDOWN), s.frame, a_seg(&s, TCPHDR_ACK, 0, NULL, 0));
	emit(&s, CTL, s.frame, a_seg(&s, TCPHDR_FIN | TCPHDR_ACK, 0, NULL, 0));
	seed_end(&s, "a_shutdown_fin");
}

static unsigned int udp_frame(struct seed *s, u16 id, u16 frag_off, const void *payload, unsigned int len)
{
	return build_ip_frame(s->frame, &(struct ipspec){ .saddr = s->f.p.a, .daddr = s->f.p.b,
							  .proto = IPPROTO_UDP, .id = id,
							  .frag_off = frag_off, .payload = payload,
							  .len = len },
			      mac_a, mac_b);
}

static void seeds_udp_and_fragments(void)
{
	static struct seed s;
	u8 dgram[8 + 16] = { 0x14, 0xe9, 0, NETFEED_UDP_PORT, 0, sizeof(dgram), 0, 0, 'q', 'u', 'e', 'r', 'y' };
	u8 rest[520];

	memset(rest, 0xab, sizeof(rest));
	seed_begin(&s);
	emit(&s, CTL | NETFEED_ACT_UDP << NETFEED_ACT_SHIFT, s.frame,
	     udp_frame(&s, 7, 0, dgram, sizeof(dgram)));
	seed_end(&s, "udp");

	seed_begin(&s);
	emit(&s, CTL, s.frame, udp_frame(&s, NETFEED_FRAG_ID, 1480 / 8, rest, sizeof(rest)));
	cr_assert(ipfrag_queue_count(s.f.sb) == 0, "the datagram was not reassembled");
	seed_end(&s, "frag_complete");

	seed_begin(&s);
	emit(&s, CTL | NETFEED_ZEROCOPY, s.frame, udp_frame(&s, NETFEED_FRAG_ID, IP_MF | 1400 / 8, rest, 200));
	emit(&s, CTL | 7 << NETFEED_TIME_SHIFT, s.frame, udp_frame(&s, 9, IP_MF, rest, 64));
	seed_end(&s, "frag_overlap_timeout");
}

static void seeds_icmp(void)
{
	static struct seed s;
	u8 icmp[64], quote[28];
	struct tcp_sock *tp;
	struct iphdr *qh = (struct iphdr *)(void *)quote;
	unsigned int len;

	seed_begin(&s);
	len = build_icmp_echo(icmp, ICMP_ECHO, 0x77, 1, "pingpong", 8);
	emit(&s, CTL | NETFEED_ZEROCOPY, s.frame,
	     build_ip_frame(s.frame, &(struct ipspec){ .saddr = s.f.p.a, .daddr = s.f.p.b, .proto = IPPROTO_ICMP,
						       .payload = icmp, .len = len }, mac_a, mac_b));
	seed_end(&s, "icmp_echo");

	/* "Fragmentation needed" about B's own segment on A's connection. */
	seed_begin(&s);
	tp = tcp_sk(s.f.srv->sk);
	memset(quote, 0, sizeof(quote));
	qh->version = 4;
	qh->ihl = 5;
	qh->ttl = 64;
	qh->protocol = IPPROTO_TCP;
	qh->tot_len = htons(1500);
	qh->frag_off = htons(IP_DF);
	qh->saddr = s.f.p.b;
	qh->daddr = s.f.p.a;
	qh->check = ip_fast_csum(qh, 5);
	quote[20] = NETFEED_TCP_PORT >> 8;
	quote[21] = NETFEED_TCP_PORT & 0xff;
	quote[22] = NETFEED_CLI_PORT >> 8;
	quote[23] = NETFEED_CLI_PORT & 0xff;
	*(u32 *)(void *)(quote + 24) = htonl(tp->snd_una);
	memset(icmp, 0, 8);
	icmp[0] = ICMP_DEST_UNREACH;
	icmp[1] = ICMP_FRAG_NEEDED;
	icmp[6] = 1000 >> 8;
	icmp[7] = 1000 & 0xff;
	memcpy(icmp + 8, quote, sizeof(quote));
	emit(&s, CTL_ACT(NETFEED_ACT_WRITE), s.frame,
	     build_ip_frame(s.frame, &(struct ipspec){ .saddr = s.f.p.a, .daddr = s.f.p.b, .proto = IPPROTO_ICMP,
						       .payload = icmp, .len = 8 + sizeof(quote) }, mac_a, mac_b));
	seed_end(&s, "icmp_frag_needed");
}

static const u8 syn_opts[20] = { TCPOPT_MSS, 4, 0x05, 0xb4, TCPOPT_SACK_PERM, 2, TCPOPT_TIMESTAMP, 10,
				 0, 0, 0, 1, 0, 0, 0, 0, TCPOPT_NOP, TCPOPT_WINDOW, 3, 7 };

/* B's active open: 10.0.0.3 answers ARP, then B's SYN, then its SYN-ACK. */
static void seed_active_open(void)
{
	static struct seed s;
	static const u8 mac_c[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x03 };
	__be32 c = ip4(NETFEED_ACT_ADDR);
	u32 iss, seq = 0x01020304;

	seed_begin(&s);
	emit(&s, CTL, s.frame, netfeed_arp(s.frame, ARPOP_REPLY, mac_c, c, mac_b, s.f.p.b));
	iss = captured_seq(&s, TCPHDR_SYN);
	emit(&s, CTL, s.frame, netfeed_tcp_frame(s.frame, &(struct netfeed_tcp){
		.src_mac = mac_c, .saddr = c, .daddr = s.f.p.b, .sport = NETFEED_ACT_PORT,
		.dport = ntohs(inet_sk(s.f.act->sk)->inet_sport), .seq = seq, .ack = iss + 1,
		.flags = TCPHDR_SYN | TCPHDR_ACK, .opt = syn_opts, .optlen = sizeof(syn_opts) }));
	emit(&s, CTL_ACT(NETFEED_ACT_WRITE), s.frame, netfeed_tcp_frame(s.frame, &(struct netfeed_tcp){
		.src_mac = mac_c, .saddr = c, .daddr = s.f.p.b, .sport = NETFEED_ACT_PORT,
		.dport = ntohs(inet_sk(s.f.act->sk)->inet_sport), .seq = seq + 1, .ack = iss + 1,
		.flags = TCPHDR_ACK | TCPHDR_PSH, .data = "hi", .len = 2 }));
	cr_assert(s.f.act->sk->sk_state == TCP_ESTABLISHED, "the active open did not complete");
	seed_end(&s, "active_open_synack");
}

/* Play the phantom's handshake with the listener from the SYN in @t. */
static void phantom_handshake(struct seed *s, struct netfeed_tcp *t)
{
	u32 iss;

	seed_begin(s);
	t->daddr = s->f.p.b;
	emit(s, CTL, s->frame, netfeed_tcp_frame(s->frame, t));
	iss = captured_seq(s, TCPHDR_SYN | TCPHDR_ACK);
	t->opt = NULL;
	t->optlen = 0;
	t->seq++;
	t->ack = iss + 1;
	t->flags = TCPHDR_ACK;
	emit(s, CTL, s->frame, netfeed_tcp_frame(s->frame, t));
}

/* The phantom connects to the listener, sends data and closes. */
static void seed_phantom(const char *name, bool options)
{
	static struct seed s;
	struct netfeed_tcp t = { .src_mac = netfeed_phantom_mac, .saddr = ip4(NETFEED_PHANTOM_ADDR),
				 .sport = 33333, .dport = NETFEED_TCP_PORT, .seq = 1000, .flags = TCPHDR_SYN };

	if (options) {
		t.opt = syn_opts;
		t.optlen = sizeof(syn_opts);
	}
	phantom_handshake(&s, &t);
	t.flags = TCPHDR_ACK | TCPHDR_PSH;
	t.data = "hello";
	t.len = 5;
	emit(&s, CTL_ACT(NETFEED_ACT_WRITE), s.frame, netfeed_tcp_frame(s.frame, &t));
	cr_assert(s.f.nacc == 1, "the phantom's connection was not accepted");
	t.seq += 5;
	t.flags = TCPHDR_ACK | TCPHDR_FIN;
	t.data = NULL;
	t.len = 0;
	emit(&s, CTL, s.frame, netfeed_tcp_frame(s.frame, &t));
	seed_end(&s, name);
}

/*
 * The phantom's connection with B's data in flight: three duplicate ACKs
 * (fast retransmit, RFC 5681 §3.2), a partial ACK (NewReno, RFC 6582), then
 * the rest, 100 ms apart.
 */
static void seed_phantom_dupacks(void)
{
	static struct seed s;
	struct netfeed_tcp t = { .src_mac = netfeed_phantom_mac, .saddr = ip4(NETFEED_PHANTOM_ADDR),
				 .sport = 33334, .dport = NETFEED_TCP_PORT, .seq = 5000, .flags = TCPHDR_SYN,
				 .opt = syn_opts, .optlen = sizeof(syn_opts) };
	u32 una;

	phantom_handshake(&s, &t);
	una = t.ack;
	/* B writes 4000 bytes (three segments); each ACK acks only the first 1000 */
	t.ack = una + 1000;
	emit(&s, CTL_ACT(NETFEED_ACT_WRITE), s.frame, netfeed_tcp_frame(s.frame, &t));
	for (int i = 0; i < 3; i++)
		emit(&s, CTL, s.frame, netfeed_tcp_frame(s.frame, &t));
	t.ack = una + 2000;
	emit(&s, CTL | 3 << NETFEED_TIME_SHIFT, s.frame, netfeed_tcp_frame(s.frame, &t));
	t.ack = una + NETFEED_WRITE_LEN;
	emit(&s, CTL | 3 << NETFEED_TIME_SHIFT, s.frame, netfeed_tcp_frame(s.frame, &t));
	seed_end(&s, "phantom_dupacks");
}

static void seeds_arp(void)
{
	static struct seed s;
	static const u8 zero[ETH_ALEN];

	seed_begin(&s);
	emit(&s, CTL, s.frame, netfeed_arp(s.frame, ARPOP_REQUEST, mac_a, s.f.p.a, zero, s.f.p.b));
	seed_end(&s, "arp_request");
}

static void seeds_options(void)
{
	/* flags, MTU, payload length (2), order seed, options length, options */
	static const u8 tcp_syn[] = { 1, 100, 0x0b, 0xb8, 3, 20, TCPOPT_MSS, 4, 0x05, 0xb4, TCPOPT_SACK_PERM, 2,
				      TCPOPT_TIMESTAMP, 10, 0, 0, 0, 1, 0, 0, 0, 0, TCPOPT_NOP, TCPOPT_WINDOW, 3, 7 };
	/* record route (not copied), loose source route (copied), end */
	static const u8 ip_opts[] = { 2, 20, 0x10, 0x00, 9, 16, 7, 7, 4, 0, 0, 0, 0, 0x83, 7, 4, 1, 2, 3, 4,
				      1, 0 };
	static const u8 timestamp[] = { 0, 200, 0x23, 0x28, 1, 12, 68, 12, 5, 0, 0, 0, 0, 0, 1, 1, 1, 0 };

	write_file("fuzz_options", "tcp_syn_options", tcp_syn, sizeof(tcp_syn));
	write_file("fuzz_options", "ip_rr_lsrr", ip_opts, sizeof(ip_opts));
	write_file("fuzz_options", "ip_timestamp", timestamp, sizeof(timestamp));
}

static void seeds_skb(void)
{
	/* alloc 2048; reserve 128; put 100; push 20; set network; clone; push on the
	 * clone (cow); queue both; dequeue one; copy_expand; pull; trim; free */
	static const u8 script[] = { 0, 0x08, 0x00,  2, 0, 0, 128,  3, 0, 0, 100, 7,  4, 0, 0, 20, 9,
				     7, 0, 0, 10,  8, 0,  4, 1, 0, 14, 1,  19, 0, 0,  20, 1, 0,  23, 0,
				     10, 0, 0, 64, 0, 64,  5, 1, 0, 30,  6, 1, 0, 50,  13, 0, 1, 0, 1, 0,
				     15, 0, 0, 5, 0, 10,  16, 0,  29, 2, 0, 1, 0x10, 0x00 };

	write_file("fuzz_skb", "clone_cow_queue", script, sizeof(script));
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	outdir = argv[1];
	mkdir(outdir, 0755);
	seeds_a_connection();
	seeds_udp_and_fragments();
	seeds_icmp();
	seed_active_open();
	seed_phantom("phantom_handshake", false);
	seed_phantom("phantom_handshake_options", true);
	seed_phantom_dupacks();
	seeds_arp();
	seeds_options();
	seeds_skb();
	return 0;
}
