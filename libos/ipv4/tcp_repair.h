/*
 * tcp_repair.h - a TCP connection taken out of one stack and put into
 * another (tcp_repair.c): what a process hands a child of fork that takes
 * over an inherited connected socket (DESIGN.md "fork/exec and many
 * processes").  The idea is Linux's TCP_REPAIR (CRIU): the sequence
 * numbers, windows, negotiated options and queued bytes are the
 * connection; everything else is rebuilt by the receiving stack.
 */
#ifndef SKBOS_TCP_REPAIR_H
#define SKBOS_TCP_REPAIR_H

#include "tcp.h"

#define TCP_REPAIR_MAGIC 0x72706b73u /* "skpr" */
#define TCP_REPAIR_VERSION 1

/**
 * struct tcp_repair - a connection's state, by value (no pointers: it
 * crosses processes).  @rx_len bytes the application has not read yet
 * and @tx_len bytes from snd_una on (sent and unacknowledged, then unsent)
 * travel beside it.
 */
struct tcp_repair {
	u32 magic, version;
	/* the socket */
	u8 state, shutdown, userlocks, ca; /* ca: 0 cubic, 1 reno */
	__be32 saddr, daddr, rcv_saddr;
	__be16 sport, dport;
	u16 num;
	int bound_dev_if, rcvbuf, sndbuf, rcvlowat, err_soft;
	ktime_t rcvtimeo, sndtimeo;
	unsigned long flags;
	long lingertime;
	u32 priority, mark;
	/* IPv4 */
	int uc_ttl, rx_dst_ifindex;
	u8 tos, pmtudisc, rcv_tos, inet_bits;
	u16 inet_id;
	/* TCP */
	u32 snd_una, snd_nxt, snd_wnd, snd_wl1, snd_wl2, max_window, write_seq, snd_max;
	u32 rcv_nxt, rcv_wnd, rcv_wup, copied_seq, window_clamp, rcv_ssthresh, iss, irs;
	u32 tsoffset, snd_cwnd, snd_ssthresh, reordering, notsent_lowat, pushed_seq, snd_sml;
	u16 mss_cache, advmss, user_mss, rcv_mss;
	u64 route_caps;
	struct tcp_options_received rx_opt;
	ktime_t srtt, rttvar, rto, user_timeout;
	bool rtt_seen, recvmsg_inq;
	u8 nonagle, cork, urg_mode, syn_retries;
	u32 snd_up, urg_seq;
	u16 urg_data;
	int keepalive_time_s, keepalive_intvl_s, keepalive_probes;
	u64 ca_priv[8];
	u32 rx_len, tx_len;
};

int tcp_repair_get(struct sock *sk, struct tcp_repair *r);
void tcp_repair_copy_queues(struct sock *sk, const struct tcp_repair *r, u8 *rx, u8 *tx);
void tcp_repair_detach(struct sock *sk);
int tcp_repair_set(struct sock *sk, const struct tcp_repair *r, const u8 *rx, const u8 *tx);

void tcp_moved_add(struct stack *st, __be32 raddr, __be16 rport, u16 lport);
bool tcp_moved(struct stack *st, __be32 raddr, __be16 rport, u16 lport);
void tcp_moved_free(struct stack *st);

#endif /* SKBOS_TCP_REPAIR_H */
