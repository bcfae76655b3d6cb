/*
 * report.c - a snapshot of a stack as text, for skbos-stat (preload/
 * skbos-stat.c reads it from the control socket, ctl.c).  Called with the
 * stack lock held; reads the tables and counters, changes nothing.
 *
 * The format is stable (README "skbos-stat"); a change gets a new
 * STACK_REPORT_MAGIC:
 *
 *   skbos-report 1
 *   # sockets
 *   Netid State      Recv-Q Send-Q Local Address:Port    Peer Address:Port     Info
 *   tcp   LISTEN     0      128    10.0.0.1:80           0.0.0.0:*
 *   tcp   ESTAB      0      0      10.0.0.1:80           10.0.0.2:41000        rtt:0.210/0.105 ...
 *   udp   UNCONN     0      0      0.0.0.0:53            0.0.0.0:*
 *   # counters
 *   IpInReceives                    12
 *   ...
 *   TcpCurrEstab                    1
 *   ...
 *   FragInuse                       0
 *   FragMemory                      0
 *   ArpCacheEntries                 1
 *   ...
 *   DropNO_SOCKET                   2
 *   # end
 *
 * Sockets and their columns follow `ss -tuna` (Recv-Q/Send-Q of a listener
 * are its accept queue and backlog), TCP's Info follows `ss -ti` and, as
 * rmem/rcvbuf/wmem/sndbuf, the r/rb/t/tb fields of `ss -m`'s skmem.  Every
 * MIB counter is listed, zero or not ("nstat -az"); then the gauges Linux
 * keeps outside the MIBs: /proc/net/sockstat's "FRAG: inuse N memory M"
 * (datagrams being reassembled, the bytes they hold against
 * ipfrag_high_thresh) and /proc/net/stat/arp_cache's entries, allocs,
 * destroys, forced_gc_runs and table_fulls (the neighbour table against
 * gc_thresh3); drops by reason only when nonzero, as "Drop" + skbos's
 * reason name.
 */
#include <arpa/inet.h>
#include <stdio.h>

#include "ip.h"
#include "neighbour.h"
#include "report.h"
#include "snmp.h"
#include "stack.h"
#include "tcp.h"
#include "udp.h"

/* The state names of ss (misc/ss.c sstate_name). */
static const char *const ss_state_names[TCP_MAX_STATES] = {
	"UNKNOWN", "ESTAB", "SYN-SENT", "SYN-RECV", "FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT",
	"UNCONN", "CLOSE-WAIT", "LAST-ACK", "LISTEN", "CLOSING", "SYN-RECV",
};

struct report_ctx {
	FILE *out;
	const char *netid;
	unsigned int curr_estab;
};

static void addr_port(char *buf, size_t len, __be32 addr, u16 port)
{
	char a[INET_ADDRSTRLEN];
	struct in_addr in = { .s_addr = addr };

	inet_ntop(AF_INET, &in, a, sizeof(a));
	if (port)
		snprintf(buf, len, "%s:%u", a, port);
	else
		snprintf(buf, len, "%s:*", a);
}

/* The ss columns; the peer is padded only when Info follows. */
static void report_line(struct report_ctx *c, const struct sock *sk, u32 recvq, u32 sendq,
			bool info)
{
	const struct inet_sock *inet = inet_sk(sk);
	char local[32], peer[32];
	int state = sk->sk_state < TCP_MAX_STATES ? sk->sk_state : 0;

	addr_port(local, sizeof(local), inet->inet_saddr ? inet->inet_saddr : sk->sk_rcv_saddr,
		  sk->sk_num);
	addr_port(peer, sizeof(peer), sk->sk_daddr, ntohs(sk->sk_dport));
	fprintf(c->out, "%-5s %-10s %-6u %-6u %-21s %-*s", c->netid, ss_state_names[state], recvq,
		sendq, local, info ? 21 : 0, peer);
}

/*
 * Bytes received and not read.  A FIN takes a sequence number but is no
 * byte: after it came (CLOSE_WAIT, LAST_ACK, CLOSING, TIME_WAIT) it is not
 * counted; a TIME_WAIT socket shows 0 and 0, as Linux's timewait socks.
 */
static u32 tcp_recv_q(const struct sock *sk)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	u32 q = tp->rcv_nxt - tp->copied_seq;

	switch (sk->sk_state) {
	case TCP_TIME_WAIT:
		return 0;
	case TCP_CLOSE_WAIT:
	case TCP_LAST_ACK:
	case TCP_CLOSING:
		return q ? q - 1 : 0;
	}
	return q;
}

static void report_tcp(struct sock *sk, void *arg)
{
	struct report_ctx *c = arg;
	const struct tcp_sock *tp = tcp_sk(sk);

	if (sk->sk_state == TCP_LISTEN) {
		report_line(c, sk, (u32)tp->accept_len, (u32)sk->sk_max_ack_backlog, false);
		fputc('\n', c->out);
		return;
	}
	if (sk->sk_state == TCP_ESTABLISHED || sk->sk_state == TCP_CLOSE_WAIT)
		c->curr_estab++;
	report_line(c, sk, tcp_recv_q(sk), sk->sk_state == TCP_TIME_WAIT ? 0 : tp->write_seq - tp->snd_una,
		    true);
	fprintf(c->out,
		" rtt:%.3f/%.3f cwnd:%u ssthresh:%u retrans:%u/%u mss:%u rmem:%d rcvbuf:%d wmem:%d"
		" sndbuf:%d\n",
		(double)tp->srtt / NSEC_PER_MSEC, (double)tp->rttvar / NSEC_PER_MSEC, tp->snd_cwnd,
		tp->snd_ssthresh, tp->retransmits, tp->total_retrans, tp->mss_cache, sk->sk_rmem_alloc,
		sk->sk_rcvbuf, sk->sk_wmem_alloc, sk->sk_sndbuf);
}

static void report_udp(struct sock *sk, void *arg)
{
	struct report_ctx *c = arg;

	report_line(c, sk, (u32)sk->sk_rmem_alloc, (u32)sk->sk_wmem_alloc, false);
	fputc('\n', c->out);
}

/* What a flood could make grow, against its cap (see the top of the file). */
static void report_gauges(struct stack *st, FILE *out)
{
	const struct neigh_table *tbl = st->ipv4.arp_tbl;

	fprintf(out, "%-31s %u\n", "FragInuse", ipfrag_queue_count(st));
	fprintf(out, "%-31s %ld\n", "FragMemory", ipfrag_mem(st));
	if (!tbl)
		return;
	fprintf(out, "%-31s %u\n", "ArpCacheEntries", tbl->entries);
	fprintf(out, "%-31s %llu\n", "ArpCacheAllocs", (unsigned long long)tbl->stats.allocs);
	fprintf(out, "%-31s %llu\n", "ArpCacheDestroys", (unsigned long long)tbl->stats.destroys);
	fprintf(out, "%-31s %llu\n", "ArpCacheForcedGcRuns",
		(unsigned long long)tbl->stats.forced_gc_runs);
	fprintf(out, "%-31s %llu\n", "ArpCacheTableFulls", (unsigned long long)tbl->stats.table_fulls);
}

/**
 * stack_report - write the report of @st to @out (format above).  Stack lock
 * held; @st is only read.
 */
void stack_report(struct stack *st, FILE *out)
{
	struct report_ctx c = { .out = out };
	char name[64];

	fprintf(out, "%s\n# sockets\n", STACK_REPORT_MAGIC);
	fprintf(out, "%-5s %-10s %-6s %-6s %-21s %-21s %s\n", "Netid", "State", "Recv-Q", "Send-Q",
		"Local Address:Port", "Peer Address:Port", "Info");
	c.netid = "tcp";
	tcp_for_each_sock(st, report_tcp, &c);
	c.netid = "udp";
	udp_for_each_sock(st, report_udp, &c);
	fprintf(out, "# counters\n");
	for (int i = 0; i < __SNMP_MIB_MAX; i++) {
		fprintf(out, "%-31s %llu\n", snmp_mib_name((enum snmp_mib)i, name, sizeof(name)),
			(unsigned long long)st->mib[i]);
		if (i == TCP_MIB_ESTABRESETS) /* where nstat lists it */
			fprintf(out, "%-31s %u\n", "TcpCurrEstab", c.curr_estab);
	}
	report_gauges(st, out);
	if (st->wait_ops && st->wait_ops->report)
		st->wait_ops->report(st, out);
	for (int i = 0; i < SKB_DROP_REASON_MAX; i++)
		if (st->drops[i])
			fprintf(out, "Drop%-27s %llu\n", skb_drop_reason_name((enum skb_drop_reason)i),
				(unsigned long long)st->drops[i]);
	fprintf(out, "# end\n");
}
