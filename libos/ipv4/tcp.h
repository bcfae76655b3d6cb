/*
 * tcp.h - TCP (RFC 9293): struct tcp_sock, the per-segment control block,
 * and the entry points of tcp*.c.
 *
 * Read first: RFC 9293 (§3.10 "Event Processing" is the state machine),
 * RFC 6298 (RTO), RFC 5681 (congestion control), RFC 7323 (window scaling),
 * RFC 5961 (RST/SYN protections), RFC 6528 (ISNs).
 *
 *   send:    tcp_sendmsg (skbs of up to 64 KB, MAX_TCP_HEADER headroom, on
 *            sk_write_queue: GSO super-packets of MSS segments) -> tcp_write_xmit (cwnd, rwnd, Nagle)
 *            -> tcp_transmit_skb (clone, push header, checksum)
 *            -> ip_queue_xmit (sk_dst_cache) -> ip_local_out ...
 *   receive: ip_local_deliver_finish -> tcp_v4_rcv (checksum, lookup)
 *            -> tcp_rcv_state_process (RFC 9293 §3.10.7 steps)
 *            -> tcp_data_queue (in order / out-of-order) -> sk_data_ready
 *   timers:  retransmit (RTO, SYN retries, persist), delayed ACK,
 *            keepalive, TIME_WAIT (tcp_timer.c)
 */
#ifndef SKBOS_TCP_H
#define SKBOS_TCP_H

#include <netinet/tcp.h>
#include "sock.h"
#include "timer.h"
#include "ip.h"

struct tcp_sock;
struct sk_buff;

/**
 * struct tcp_af_ops - what TCP asks of the network layer beneath a socket
 * (Linux's inet_connection_sock_af_ops plus the tcp_request_sock_ops
 * hooks), so tcp.c, tcp_input.c and tcp_output.c never name a family:
 * ipv4_specific (tcp_ipv4.c), ipv6_specific (ipv6/tcp_ipv6.c).
 * @queue_xmit: route through sk_dst_cache, push the network header, send;
 *	consumes the skb; @ecn: the segment's ECN codepoint (RFC 3168 §5)
 * @send_check: the pseudo-header sum in th->check for CHECKSUM_PARTIAL
 * @send_reset: a RST answering the received @skb (borrowed)
 * @child_init: a listener's child takes its addresses from the SYN @skb
 * @init_seq/@init_ts_off: the connection's ISN (RFC 6528) and TSval offset
 * @lookup_listener: the listener a SYN in TIME_WAIT may reopen (or NULL)
 * @net_header_len: the network header in front of TCP (20, 40)
 * @gso_type: what a super-packet of this family is (SKB_GSO_TCPV4, _TCPV6)
 */
struct tcp_af_ops {
	int (*queue_xmit)(struct sock *sk, struct sk_buff *skb, u8 ecn);
	void (*send_check)(struct sock *sk, struct sk_buff *skb);
	void (*send_reset)(struct stack *st, struct sk_buff *skb);
	void (*child_init)(struct sock *child, const struct sk_buff *skb);
	u32 (*init_seq)(const struct sock *sk);
	u32 (*init_ts_off)(const struct sock *sk);
	struct sock *(*lookup_listener)(struct stack *st, const struct sk_buff *skb);
	u16 net_header_len;
	u32 gso_type;
};
extern const struct tcp_af_ops ipv4_specific;

/* Sequence space arithmetic (RFC 9293 §3.4): modulo 2^32. */
static inline bool before(u32 seq1, u32 seq2)
{
	return (s32)(seq1 - seq2) < 0;
}
#define after(seq2, seq1) before(seq1, seq2)

/* is s2 <= s1 <= s3 ? */
static inline bool between(u32 seq1, u32 seq2, u32 seq3)
{
	return seq3 - seq2 >= seq1 - seq2;
}

/* Header flag bits as in the 13th byte of the header. */
#define TCPHDR_FIN 0x01
#define TCPHDR_SYN 0x02
#define TCPHDR_RST 0x04
#define TCPHDR_PSH 0x08
#define TCPHDR_ACK 0x10
#define TCPHDR_URG 0x20
#define TCPHDR_ECE 0x40 /* RFC 3168 §6.1: ECN-Echo */
#define TCPHDR_CWR 0x80 /* RFC 3168 §6.1: Congestion Window Reduced */
#define TCPHDR_SYN_ECN (TCPHDR_SYN | TCPHDR_ECE | TCPHDR_CWR) /* an ECN-setup SYN (§6.1.1) */

/* The ECN field, the low two bits of the IPv4 TOS byte (RFC 3168 §5). */
#define INET_ECN_NOT_ECT 0
#define INET_ECN_ECT_1 1
#define INET_ECN_ECT_0 2
#define INET_ECN_CE 3
#define INET_ECN_MASK 3

/* tp->ecn_flags (Linux's TCP_ECN_*), tcp_ecn.c */
#define TCP_ECN_OK 1         /* negotiated (our SYN asked, or we accepted the peer's) */
#define TCP_ECN_QUEUE_CWR 2  /* the next new data segment carries CWR */
#define TCP_ECN_DEMAND_CWR 4 /* CE seen: our ACKs carry ECE until the peer's CWR */
#define TCP_ECN_SEEN 8       /* an ECT or CE segment arrived (TCPI_OPT_ECN_SEEN) */

#define TCP_HEADER_LEN 20
#define TCPOLEN_TSTAMP_ALIGNED 12  /* NOP NOP TSopt: what timestamps cost a segment */
#define TCP_PAWS_24DAYS (24LL * 86400 * NSEC_PER_SEC) /* RFC 7323 §5.5 */
/* A super-packet is one IPv4 datagram: 16-bit total length, 60-byte headers at most. */
#define TCP_GSO_MAX_PAYLOAD (65535U - 20U - 60U)
/*
 * The largest segment one skb can carry: its payload starts MAX_TCP_HEADER
 * into the buffer and every offset is 16 bits from head.  Linux's loopback
 * (MTU 65536) reaches 65483 with page frags; skbos's linear skbs stop here,
 * or a 64 KB-MTU route would leave tcp_sendmsg no room for one MSS.
 */
#define TCP_MSS_MAX_SKB (0xffffU - MAX_TCP_HEADER)
#define TCP_MSS_DEFAULT 536U       /* RFC 9293 §3.7.1 */
#define TCP_MAX_WSCALE 14          /* RFC 7323 §2.3 */
#define TCP_INIT_CWND 10           /* RFC 6928 */
#define TCP_RTO_MIN (200 * NSEC_PER_MSEC)
#define TCP_RTO_MAX (120 * NSEC_PER_SEC)
#define TCP_TIMEOUT_INIT (1 * NSEC_PER_SEC) /* RFC 6298 §2.1 */
#define TCP_DELACK_MAX (40 * NSEC_PER_MSEC)
#define TCP_DELACK_MIN (4 * NSEC_PER_MSEC)
#define TCP_TIMEWAIT_LEN (60 * NSEC_PER_SEC)
#define TCP_FIN_TIMEOUT (60 * NSEC_PER_SEC)
#define TCP_FIN_TIMEOUT_MAX_S 120 /* TCP_LINGER2's ceiling (Linux's TCP_FIN_TIMEOUT_MAX) */

/* Linux's tcp_fin_time: how long an orphan waits in FIN_WAIT2 (@linger2 in s). */
static inline ktime_t tcp_fin_time(int linger2)
{
	return linger2 > 0 ? (ktime_t)linger2 * NSEC_PER_SEC : TCP_FIN_TIMEOUT;
}
#define TCP_SYN_RETRIES 6
#define TCP_SYNACK_RETRIES 5
#define TCP_RETRIES2 15
#define TCP_KEEPALIVE_TIME (7200 * NSEC_PER_SEC)
#define TCP_KEEPALIVE_INTVL (75 * NSEC_PER_SEC)
#define TCP_KEEPALIVE_PROBES 9

/* Option kinds (RFC 9293 §3.2, RFC 7323, RFC 2018). */
#define TCPOPT_EOL 0
#define TCPOPT_NOP 1
#define TCPOPT_MSS 2
#define TCPOPT_WINDOW 3
#define TCPOPT_SACK_PERM 4
#define TCPOPT_SACK 5
#define TCPOPT_TIMESTAMP 8

/**
 * struct tcp_skb_cb - TCP_SKB_CB(skb): what TCP knows about a segment.
 * @seq/@end_seq: first sequence number, and one past the last (SYN and FIN
 *	count one each)
 * @tcp_flags: TCPHDR_*
 * @when: when it was last sent (RTT samples; Karn's rule uses @retrans)
 */
struct tcp_skb_cb {
	struct inet_skb_parm h; /* IPCB, kept while IP still looks */
	u32 seq;
	u32 end_seq;
	u32 ack_seq;
	u8 tcp_flags;
	u8 retrans;
	u8 sacked;      /* TCPCB_*: the SACK scoreboard (RFC 6675) */
	u8 eor;         /* MSG_EOR ended a record here: later writes start a new skb */
	u8 ip_dsfield;  /* received: the IP header's TOS byte, ECN bits included */
	ktime_t when;
};
#define TCPCB_SACKED_ACKED 0x01   /* the peer holds it (a SACK block covered it) */
#define TCPCB_SACKED_RETRANS 0x02 /* sent again in this recovery, not yet answered */
#define TCPCB_LOST 0x04           /* taken for lost: to send again */
#define TCP_SKB_CB(skb) ((struct tcp_skb_cb *)(void *)((skb)->cb))

#define TCPOPT_FASTOPEN 34       /* RFC 7413 §4.1.1 */
#define TCP_FASTOPEN_COOKIE_MIN 4
#define TCP_FASTOPEN_COOKIE_MAX 16
#define TCP_FASTOPEN_COOKIE_SIZE 8 /* what Linux issues (siphash, 64 bits) */
/* net.ipv4.tcp_fastopen bits (Documentation/networking/ip-sysctl.rst) */
#define TFO_CLIENT_ENABLE 1
#define TFO_SERVER_ENABLE 2
#define TFO_CLIENT_NO_COOKIE 4 /* the client sends data in its SYN without a cookie */
/* Linux's MAX_TCP_OPTION_SPACE: what a SYN's data leaves for options */
#define TCP_MAX_OPTION_SPACE 40

/* RFC 2018: at most 4 blocks fit the 40 bytes of options (3 beside timestamps). */
#define TCP_NUM_SACKS 4

struct tcp_sack_block {
	u32 start_seq;
	u32 end_seq;
};

/**
 * struct tcp_options_received - what the peer's SYN told us, and what
 * both sides agreed (RFC 7323 §1.3: an option is used only if both sent it).
 */
struct tcp_options_received {
	u16 mss_clamp;      /* the peer's MSS option, or TCP_MSS_DEFAULT */
	u8 wscale_ok : 1, sack_ok : 1, tstamp_ok : 1;
	u8 saw_tstamp : 1;  /* the segment being processed had a TSopt */
	u32 rcv_tsval, rcv_tsecr; /* its TSval, TSecr */
	u32 ts_recent;      /* RFC 7323 §4.3 TS.Recent: echoed in our TSecr */
	ktime_t ts_recent_stamp; /* when TS.Recent was set (PAWS ages it) */
	u8 snd_wscale;      /* the peer's shift: applied to windows it sends */
	u8 rcv_wscale;      /* our shift: applied to windows we send */
	/* RFC 7413 §4.1.1 Fast Open option of a SYN: -1 none (or malformed),
	 * 0 a cookie request, else the cookie's length */
	s8 fastopen_len;
	u8 fastopen_cookie[TCP_FASTOPEN_COOKIE_MAX];
};

/**
 * struct tcp_congestion_ops - a congestion control algorithm (RFC 5681
 * vocabulary), selectable per socket with TCP_CONGESTION.
 */
struct tcp_congestion_ops {
	const char *name;
	void (*init)(struct tcp_sock *tp);
	u32 (*ssthresh)(struct tcp_sock *tp);                 /* on loss */
	void (*cong_avoid)(struct tcp_sock *tp, u32 acked);   /* on new data ACKed */
};

/**
 * struct tcp_sock - one TCP connection (or listener).
 * Send sequence space (RFC 9293 §3.3.1): snd_una <= snd_nxt; snd_wnd from
 * the peer.  Receive: rcv_nxt, rcv_wnd (what we advertised).
 * @write_queue: sk->sk_write_queue holds sent-but-unacked (head) and unsent
 *	(from @send_head) skbs, in sequence order
 * @out_of_order_queue: received segments beyond rcv_nxt, sorted, disjoint
 */
struct tcp_sock {
	struct inet_sock inet;

	u32 snd_una, snd_nxt, snd_wnd, snd_wl1, snd_wl2, max_window, write_seq;
	u32 snd_max;        /* highest sequence ever sent (snd_nxt goes back after an RTO) */
	u32 rcv_nxt, rcv_wnd, rcv_wup, copied_seq, window_clamp, rcv_ssthresh;
	u32 iss, irs;
	u32 tsoffset;       /* added to our TSval clock (RFC 7323 §7.1: per connection) */
	u16 mss_cache;      /* what we send per segment now */
	u16 advmss;         /* what we advertise */
	u16 user_mss;       /* TCP_MAXSEG */
	u16 rcv_mss;        /* the peer's segment size as received (tcp_measure_rcv_mss) */
	u64 route_caps;     /* NETIF_F_* of the route's device (Linux's sk_route_caps) */
	const struct tcp_af_ops *af_ops; /* the family beneath (icsk_af_ops) */
	struct tcp_options_received rx_opt;
	struct sk_buff *send_head; /* first unsent skb on sk_write_queue */

	/* RTT and RTO (RFC 6298) */
	ktime_t srtt, rttvar, rto;
	bool rtt_seen;      /* srtt holds a sample (0 is a valid one in virtual time) */
	u8 backoff;
	u8 retransmits;     /* consecutive RTOs of the same data */
	u32 total_retrans;
	u8 syn_retries;     /* TCP_SYNCNT, 0: default */
	ktime_t user_timeout;
	ktime_t retrans_stamp; /* first retransmission of the current episode */
	ktime_t last_oow_ack_time; /* last ACK to an unacceptable segment (tcp_oow_rate_limited) */

	/* congestion control (RFC 5681, NewReno RFC 6582) */
	u32 snd_cwnd, snd_ssthresh, snd_cwnd_cnt;
	u32 dupacks, high_seq;
	bool in_recovery;
	bool in_cwr;        /* reducing cwnd after an ECN-Echo (Linux's TCP_CA_CWR), until high_seq */
	/* Proportional Rate Reduction (RFC 6937, tcp_prr.c) in recovery and CWR:
	 * prior_cwnd (below) is its RecoverFS */
	u32 prr_delivered;  /* segments delivered to the peer since the reduction began */
	u32 prr_out;        /* segments sent since then */
	u8 ecn_flags;       /* TCP_ECN_* (RFC 3168, tcp_ecn.c) */
	u32 delivered;      /* segments the peer acknowledged or SACKed, each once (tcpi_delivered) */
	u32 delivered_ce;   /* of those, the ones an ACK with ECE covered (tcpi_delivered_ce) */
	u32 sacked_out, lost_out, retrans_out; /* segments, from the scoreboard */
	u32 sack_high;      /* the highest sequence SACKed (meaningful above snd_una) */
	u32 reordering;     /* DupThresh: the reordering seen, in segments (tcp_recovery.c) */
	/* undoing a reduction whose retransmissions prove spurious (tcp_recovery.c) */
	bool undo_armed;
	u32 undo_marker;    /* snd_una when the reduction began */
	int undo_retrans;   /* its retransmissions not yet shown spurious; -1: none sent */
	u32 undo_tsval;     /* the TSval of its first retransmission (Eifel) */
	u32 prior_cwnd, prior_ssthresh;
	u32 snd_sml;        /* end of the last small segment sent (Minshall's Nagle) */
	/* congestion window validation (RFC 7661, Linux's tcp_cwnd_validate) */
	u32 max_packets_out, cwnd_usage_seq;
	bool is_cwnd_limited;
	const struct tcp_congestion_ops *ca_ops;
	u64 ca_priv[8];   /* the congestion algorithm's own state */

	/* receiving */
	struct sk_buff_head out_of_order_queue;
	u32 last_ofo_seq;   /* the latest out-of-order arrival: the first SACK block */
	struct tcp_sack_block duplicate_sack; /* D-SACK to report once (RFC 2883) */
	bool dsack;
	u8 ack_pending;     /* an ACK is owed (ICSK_ACK_*) */
	/* urgent data (tcp_urg.c): what we send, what we were sent */
	u8 urg_mode;        /* snd_up is unacknowledged: segments before it carry URG */
	u32 snd_up;         /* one past our last urgent byte (BSD, tcp_stdurg 0) */
	u32 urg_seq;        /* the peer's urgent byte */
	u16 urg_data;       /* TCP_URG_* | the byte */
	u8 quickack;        /* segments still to ACK at once (Linux's quick-ack mode) */
	/* receive buffer autotuning (Linux's dynamic right-sizing) */
	struct {
		u32 space;      /* bytes the application read in the last RTT, at most */
		u32 seq;        /* copied_seq when that RTT began */
		ktime_t time;
	} rcvq_space;
	struct {
		ktime_t rtt;    /* the receiver's RTT estimate (a window's worth arriving) */
		bool valid;
		u32 seq;        /* a measurement ends when rcv_nxt passes this */
		ktime_t time;
	} rcv_rtt_est;

	/* options from the user */
	u8 nonagle : 1, cork : 1;
	u8 defer_accept;    /* TCP_DEFER_ACCEPT as SYN-ACK retransmissions (Linux's rskq_defer_accept) */
	int linger2;        /* TCP_LINGER2 (s): orphan FIN_WAIT2 lifetime; 0: tcp_fin_timeout; -1: reset */
	u16 total_rto;      /* RTOs fired (tcpi_total_rto) */
	u16 total_rto_recoveries; /* RTO episodes: the first RTO of each (tcpi_total_rto_recoveries) */
	u32 notsent_lowat;  /* TCP_NOTSENT_LOWAT, 0: net.ipv4.tcp_notsent_lowat */
	u32 pushed_seq;     /* write_seq at the last PSH (tcp_mark_push, forced_push) */
	bool recvmsg_inq;   /* TCP_INQ: recvmsg reports TCP_CM_INQ */
	/* TCP Fast Open (RFC 7413, tcp_fastopen.c) */
	int fastopen_qlen;  /* TCP_FASTOPEN on a listener: pending TFO children at most */
	bool fastopen_child; /* accepted from its SYN's cookie, before the handshake ends */
	bool syn_data_acked; /* the SYN's data was acknowledged (TCPI_OPT_SYN_DATA) */
	s8 fastopen_synack_len; /* the cookie our SYN-ACK carries (0: none) */
	u8 fastopen_synack_cookie[TCP_FASTOPEN_COOKIE_MAX];
	/* the client's half: TCP_FASTOPEN_CONNECT, TCP_FASTOPEN_NO_COOKIE, sendto(MSG_FASTOPEN) */
	bool fastopen_connect;   /* connect() leaves the SYN for the first write */
	bool fastopen_no_cookie; /* send SYN data without a cookie (the socket's TFO_CLIENT_NO_COOKIE) */
	bool defer_connect;      /* connect() returned, the SYN waits for data (Linux's DEFER_CONNECT) */
	bool fastopen_req;       /* a Fast Open connect is under way (Linux's tp->fastopen_req) */
	bool syn_fastopen;       /* our SYN carried a Fast Open option */
	bool syn_fastopen_opt;   /* the next SYN sent carries it (the first one only) */
	bool syn_data;           /* ... and data */
	s8 fastopen_cookie_len;  /* the cookie our SYN carries (0: a request) */
	u8 fastopen_cookie[TCP_FASTOPEN_COOKIE_MAX];
	struct msghdr *fastopen_msg; /* in sendmsg: the bytes the SYN may carry */
	size_t fastopen_size, fastopen_copied;
	int keepalive_time_s, keepalive_intvl_s, keepalive_probes;
	u8 probes_out;      /* keepalive / zero-window probes without answer */

	/* timers */
	struct timer_list retransmit_timer; /* RTO, SYN, persist */
	struct timer_list delack_timer;
	struct timer_list keepalive_timer;  /* keepalive, FIN_WAIT2, TIME_WAIT */
	bool persist;                       /* retransmit_timer is the persist timer */
	u8 timers_on;                       /* TCP_TIMER_*: which are wanted (tcp_timer.c) */
	bool fin_pending;                   /* no memory for our FIN: the timer retries */

	/* listening and accepting */
	struct tcp_sock *parent;            /* the listener of a not yet accepted child */
	struct list_head accept_node;       /* on the listener's accept_queue or syn_queue */
	struct list_head accept_queue;      /* established children, oldest first */
	struct list_head syn_queue;         /* children still in SYN_RECV */
	int accept_len, syn_len; /* the backlog: sk_max_ack_backlog */
	ktime_t last_synq_overflow;         /* when the SYN queue last sent cookies */

	struct list_head ehash_node;        /* established table (4-tuple) */
	struct list_head lhash_node;        /* listening table (port) */
	bool in_ehash, in_lhash, in_syn_queue;
	bool closed_by_user;                /* close() was called: orphan */
	bool migrated;                      /* handed to another stack (tcp_repair.c) */
};

static inline struct tcp_sock *tcp_sk(const struct sock *sk)
{
	return (struct tcp_sock *)(void *)sk;
}

static inline u32 tcp_wnd_end(const struct tcp_sock *tp)
{
	return tp->snd_una + tp->snd_wnd;
}

/*
 * Segments in the network (RFC 6675's "pipe", Linux's tcp_packets_in_flight):
 * those sent and not acknowledged, less what the peer SACKed or we count
 * as lost, plus what we sent again.  Without SACK both counts are 0.
 */
static inline u32 tcp_packets_in_flight(const struct tcp_sock *tp, u32 mss)
{
	u32 out = (tp->snd_nxt - tp->snd_una + mss - 1) / mss, left = tp->sacked_out + tp->lost_out;

	return (out > left ? out - left : 0) + tp->retrans_out;
}

/* The segments @skb is on the wire (Linux's tcp_skb_pcount): a super-packet counts each. */
static inline u32 tcp_skb_pcount(const struct sk_buff *skb, u32 mss)
{
	return skb->len > mss ? (skb->len + mss - 1) / mss : 1;
}

extern const struct proto tcp_prot;
extern const struct tcp_congestion_ops tcp_reno;
extern const struct tcp_congestion_ops tcp_cubic;

/* tcp_ipv4.c */
int tcp_init(struct stack *st);
void tcp_exit(struct stack *st);
int tcp_v4_rcv(struct sk_buff *skb);
int tcp_v4_err(struct sk_buff *skb, u8 type, u8 code, u32 info);
int tcp_v4_connect(struct sock *sk, const struct sockaddr *uaddr, int addr_len);
void tcp_v4_send_reset(struct stack *st, struct sk_buff *skb);
void tcp_hash(struct sock *sk);
void tcp_unhash(struct sock *sk);
int tcp_get_port(struct sock *sk, u16 snum);
void tcp_bind_release(struct sock *sk);
void tcp_inherit_port(struct sock *sk, u16 port);
int tcp_connect(struct sock *sk);
bool tcp_icmp_in_flight(struct sock *sk, const struct tcphdr *th);
void tcp_icmp_error(struct sock *sk, int err);
struct sk_buff *tcp_make_reset(struct stack *st, const struct sk_buff *skb);
const struct tcphdr *tcp_rcv_prepare(struct sk_buff *skb, u8 dsfield,
				     u16 (*csum)(const struct sk_buff *skb, const struct tcphdr *th,
						 unsigned int len));
struct list_head *tcp_ehash_bucket(struct stack *st, u32 laddr, u16 lport, u32 faddr, __be16 fport);
struct list_head *tcp_lhash_bucket(struct stack *st, u16 hnum);

/* ipv6/tcp_ipv6.c: TCP over IPv6, tcpv6_prot (tcp.c) */
extern const struct proto tcpv6_prot;
extern const struct tcp_af_ops ipv6_specific;
int tcp_v6_rcv(struct sk_buff *skb);
int tcp_v6_connect(struct sock *sk, const struct sockaddr *uaddr, int addr_len);
void tcp_v6_send_reset(struct stack *st, struct sk_buff *skb);
int tcp_v6_init_sk(struct sock *sk);

/* urgent data (tcp_urg.c); urg_data is the byte | one of these */
#define TCP_URG_VALID 0x0100
#define TCP_URG_NOTYET 0x0200
#define TCP_URG_READ 0x0400
void tcp_mark_urg(struct sock *sk);
void tcp_urg_header(const struct tcp_sock *tp, u32 seq, struct tcphdr *th);
void tcp_urg_acked(struct tcp_sock *tp, u32 prior_una, u32 ack);
void tcp_urg(struct sock *sk, struct sk_buff *skb, const struct tcphdr *th);
int tcp_recv_urg(struct sock *sk, struct msghdr *msg, size_t len, int flags);
bool tcp_at_mark(const struct tcp_sock *tp);
size_t tcp_urg_limit(const struct sock *sk, u32 seq, size_t used, bool *skip);
void tcp_urg_passed(struct tcp_sock *tp);
unsigned int tcp_socket_count(const struct stack *st);
bool tcp_all_sent(const struct stack *st);
void tcp_for_each_sock(struct stack *st, void (*fn)(struct sock *sk, void *arg), void *arg);
int tcp_timewait_state_process(struct sock *sk, struct sk_buff *skb);

/* tcp_input.c */
int tcp_rcv_state_process(struct sock *sk, struct sk_buff *skb);
int tcp_rcv_listen(struct sock *sk, struct sk_buff *skb);
bool tcp_try_fastopen(struct sock *lsk, struct sock *child, struct sk_buff *skb);
unsigned int tcp_fastopen_synack_option(const struct tcp_sock *tp, u8 *opt);
unsigned int tcp_fastopen_syn_option(struct tcp_sock *tp, u8 *opt);
bool tcp_fastopen_defer_connect(struct sock *sk);
int tcp_send_syn_data(struct sock *sk);
int tcp_sendmsg_fastopen(struct sock *sk, struct msghdr *msg, size_t size, size_t *copied);
bool tcp_rcv_fastopen_synack(struct sock *sk);
void tcp_fastopen_cache_free(struct stack *st);
void tcp_parse_options(const struct tcphdr *th, struct tcp_options_received *opt, bool syn);
void tcp_synack_tstamp(struct sock *sk);

/* tcp_output.c */
int tcp_transmit_skb(struct sock *sk, struct sk_buff *skb, bool clone);
void tcp_write_xmit(struct sock *sk, bool push_one);
void tcp_mark_push(struct tcp_sock *tp, struct sk_buff *skb);
bool tcp_forced_push(const struct tcp_sock *tp);
void tcp_push(struct sock *sk, int flags);
void tcp_send_ack(struct sock *sk);
bool tcp_oow_rate_limited(struct sock *sk, const struct sk_buff *skb, enum snmp_mib mib);
void tcp_send_delayed_ack(struct sock *sk);
int tcp_send_syn(struct sock *sk);
int tcp_send_synack(struct sock *sk);
void tcp_send_fin(struct sock *sk);
void tcp_send_active_reset(struct sock *sk);
int tcp_retransmit_skb(struct sock *sk, struct sk_buff *skb);
void tcp_send_probe0(struct sock *sk);
u32 tcp_select_window(struct sock *sk);
void tcp_init_rcv_wnd(struct tcp_sock *tp, u32 mss);
u16 tcp_mss_for_route(struct sock *sk);
void tcp_sync_mss(struct sock *sk);
u32 tcp_xmit_size_goal(struct sock *sk);
struct sk_buff *tcp_alloc_skb(struct sock *sk, unsigned int size);
void tcp_wmem_charge_used(struct sk_buff *skb);
void tcp_wmem_charge(struct sock *sk, struct sk_buff *skb, int bytes);
struct sk_buff *tcp_fragment(struct sock *sk, struct sk_buff *skb, u32 len);
struct sk_buff *tcp_retrans_prepare(struct sock *sk, struct sk_buff *skb);

/* tcp_output.c: RFC 7323 TSval clock, milliseconds */
u32 tcp_time_stamp(const struct tcp_sock *tp);

/* syncookies.c */
u32 cookie_v4_init_sequence(struct stack *st, const struct sk_buff *skb, u16 *mss);
int cookie_v4_check(struct stack *st, const struct sk_buff *skb);
void tcp_v4_send_synack_cookie(struct sock *lsk, struct sk_buff *skb, u32 cookie, u16 mss);
bool cookie_timestamp_decode(const struct stack *st, const struct tcp_options_received *ack,
			     struct tcp_options_received *out);

/* tcp_sack.c */
unsigned int tcp_sack_options(struct tcp_sock *tp, u8 *opt, unsigned int room);
void tcp_dsack_set(struct tcp_sock *tp, u32 seq, u32 end_seq);
u32 tcp_sacktag(struct sock *sk, const struct tcphdr *th, u32 prior_snd_una);
void tcp_sack_mark_head_lost(struct sock *sk);
void tcp_sack_xmit_lost(struct sock *sk);
void tcp_sack_clear(struct sock *sk);

/* tcp_ecn.c */
u8 tcp_ecn_send_syn(struct sock *sk);
void tcp_ecn_clear_syn(struct sock *sk, struct sk_buff *skb);
void tcp_ecn_rcv_synack(struct tcp_sock *tp, u8 flags);
void tcp_ecn_rcv_syn(struct tcp_sock *tp, u8 flags);
void tcp_ecn_create_request(struct sock *child, const struct sk_buff *skb);
u8 tcp_ecn_make_synack(const struct tcp_sock *tp);
u8 tcp_ecn_send(struct sock *sk, const struct sk_buff *skb, struct tcphdr *th);
void tcp_ecn_accept_cwr(struct sock *sk, const struct sk_buff *skb);
void tcp_ecn_check_ce(struct sock *sk, const struct sk_buff *skb);
bool tcp_ecn_rcv_ecn_echo(const struct tcp_sock *tp, u8 flags);

static inline void tcp_ecn_queue_cwr(struct tcp_sock *tp)
{
	if (tp->ecn_flags & TCP_ECN_OK)
		tp->ecn_flags |= TCP_ECN_QUEUE_CWR;
}

/* tcp_prr.c */
void tcp_init_cwnd_reduction(struct sock *sk);
void tcp_cwnd_reduction(struct sock *sk, u32 newly_delivered, bool una_advanced);
void tcp_enter_cwr(struct sock *sk);
void tcp_end_cwr(struct sock *sk);
void tcp_prr_sent(struct tcp_sock *tp, const struct sk_buff *skb);

/* tcp_recovery.c */
void tcp_init_undo(struct sock *sk);
void tcp_undo_note_retrans(struct sock *sk);
void tcp_dsack_seen(struct sock *sk, u32 start, u32 end, bool ours);
void tcp_check_reordering(struct sock *sk, u32 low_seq);
bool tcp_packet_delayed(const struct tcp_sock *tp);
bool tcp_may_undo(const struct tcp_sock *tp);
void tcp_undo_cwnd_reduction(struct sock *sk, enum snmp_mib mib);

/* tcp_buffers.c */
void tcp_init_buffer_space(struct sock *sk);
void tcp_sndbuf_expand(struct sock *sk);
void tcp_rcv_rtt_measure(struct sock *sk);
void tcp_rcv_space_adjust(struct sock *sk);
void tcp_measure_rcv_mss(struct sock *sk, const struct sk_buff *skb);
u8 tcp_select_wscale(const struct sock *sk);

/* tcp_timer.c */
void tcp_init_xmit_timers(struct sock *sk);
void tcp_clear_xmit_timers(struct sock *sk);
void tcp_reset_rto(struct sock *sk);
#define TCP_TIMER_RETRANS 1 /* retransmit_timer */
#define TCP_TIMER_DACK 2    /* delack_timer */
void tcp_reset_xmit_timer(struct sock *sk, int what, ktime_t expires);
void tcp_clear_xmit_timer(struct sock *sk, int what);
static inline bool tcp_xmit_timer_on(const struct tcp_sock *tp, int what)
{
	return tp->timers_on & what;
}
void tcp_time_wait(struct sock *sk);
void tcp_set_keepalive(struct sock *sk, bool on);

/* tcp.c */
void tcp_set_state(struct sock *sk, int state);
void tcp_done(struct sock *sk);
void tcp_reset(struct sock *sk);
void tcp_init_sock(struct tcp_sock *tp);
const char *tcp_state_name(int state);
u32 tcp_isn(struct stack *st, __be32 saddr, __be32 daddr, __be16 sport, __be16 dport);
u32 tcp_ts_off(const struct stack *st, __be32 saddr, __be32 daddr);
u64 siphash_2u64(u64 a, u64 b, const u64 key[2]);
int tcp_listen(struct sock *sk, int backlog);
void tcp_child_established(struct tcp_sock *tp);
int getrandom_isn_key(struct stack *st);
unsigned int tcp_poll_mask(struct sock *sk);
struct sock *tcp_accept(struct sock *sk, int flags, int *err);

#endif /* SKBOS_TCP_H */
