/*
 * tcp_timer.c - TCP's timers (net/ipv4/tcp_timer.c).
 *
 *   retransmit_timer: RTO (RFC 6298 §5: back off, retransmit the first
 *     unacknowledged segment, collapse cwnd), SYN/SYN-ACK retries, or, with
 *     tp->persist, the zero-window probe (RFC 9293 §3.8.6.1)
 *   delack_timer: the delayed ACK is due (RFC 1122 §4.2.3.2)
 *   keepalive_timer: keepalive probes; FIN_WAIT2 and TIME_WAIT lifetimes
 */
#include "tcp.h"
#include "stack.h"

static ktime_t tcp_backoff_rto(const struct tcp_sock *tp)
{
	ktime_t rto = tp->rto << (tp->backoff < 20 ? tp->backoff : 20);

	return rto > TCP_RTO_MAX ? TCP_RTO_MAX : rto;
}

static struct timer_list *tcp_xmit_timer(struct tcp_sock *tp, int what)
{
	return what == TCP_TIMER_RETRANS ? &tp->retransmit_timer : &tp->delack_timer;
}

/**
 * tcp_reset_xmit_timer - want the retransmit (or delayed-ACK) timer at
 * @expires (Linux's inet_csk_reset_xmit_timer).
 */
void tcp_reset_xmit_timer(struct sock *sk, int what, ktime_t expires)
{
	struct tcp_sock *tp = tcp_sk(sk);

	tp->timers_on |= (u8)what;
	mod_timer(tcp_xmit_timer(tp, what), expires);
}

/**
 * tcp_clear_xmit_timer - the timer is no longer wanted, but stays armed and
 * fires into nothing: Linux's inet_csk_clear_xmit_timer without
 * INET_CSK_CLEAR_TIMERS.  Why: a connection whose data is all acknowledged
 * stops its RTO, and the next write moments later starts it again; a stopped
 * timer comes back earlier than anything the stack thread is armed for and
 * costs a wake-up of that thread per write (loop_after_call), where a timer
 * left armed only moves later, which costs nothing until it fires.
 */
void tcp_clear_xmit_timer(struct sock *sk, int what)
{
	tcp_sk(sk)->timers_on &= (u8)~what;
}

/*
 * Linux's tcp_clamp_rto_to_user_timeout: with TCP_USER_TIMEOUT set and a
 * retransmission under way, the timer fires no later than the moment the
 * user timeout runs out, so the connection fails then, not a backed-off
 * RTO later.
 */
static ktime_t tcp_clamp_rto_to_user_timeout(const struct tcp_sock *tp, ktime_t now, ktime_t rto)
{
	ktime_t end;

	if (!tp->user_timeout || !tp->retrans_stamp)
		return rto;
	end = tp->retrans_stamp + tp->user_timeout;
	if (end <= now)
		return 1;
	return end - now < rto ? end - now : rto;
}

/** tcp_reset_rto - (re)arm the retransmission timer for the current RTO. */
void tcp_reset_rto(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	ktime_t now = stack_now(sk->sk_stack);

	tp->persist = false;
	tcp_reset_xmit_timer(sk, TCP_TIMER_RETRANS,
			     now + tcp_clamp_rto_to_user_timeout(tp, now, tcp_backoff_rto(tp)));
}

/* A connection that cannot make progress any more: report and give up. */
static void tcp_write_err(struct sock *sk)
{
	SNMP_INC_STATS(sk->sk_stack, LINUX_MIB_TCPABORTONTIMEOUT);
	sk->sk_err = sk->sk_err_soft ? sk->sk_err_soft : ETIMEDOUT;
	sk->sk_error_report(sk);
	tcp_done(sk);
}

static bool tcp_out_of_resources_or_timeout(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	u32 limit = TCP_RETRIES2;

	if (sk->sk_state == TCP_SYN_SENT)
		limit = tp->syn_retries ? tp->syn_retries : TCP_SYN_RETRIES;
	else if (sk->sk_state == TCP_SYN_RECV)
		/* Linux's reqsk_timer_handler: the listener's TCP_SYNCNT, else
		 * net.ipv4.tcp_synack_retries */
		limit = tp->syn_retries ? tp->syn_retries : TCP_SYNACK_RETRIES;
	if (tp->user_timeout && tp->retrans_stamp &&
	    stack_now(sk->sk_stack) - tp->retrans_stamp >= tp->user_timeout)
		return true;
	return tp->retransmits >= limit;
}

/*
 * Linux's tcp_orphan_retries (net.ipv4.tcp_orphan_retries = 0 means 8): how
 * far a closed socket's persist timer backs off before it gives up.
 */
#define TCP_ORPHAN_RETRIES 8

static void tcp_persist_fire(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (!tp->send_head || tp->snd_wnd) {
		tp->persist = false;
		tcp_write_xmit(sk, false);
		/* Still stuck with the window open: it is narrower than the next
		 * segment, so probe on as for a closed one. */
		if (!tp->persist)
			return;
	}
	/* Linux's tcp_probe_timer: a peer that answers no probe is gone, after
	 * tcp_retries2 of them (an orphan's: tcp_orphan_retries); every ACK
	 * the peer sends resets the count, so a live zero window lasts */
	if (++tp->probes_out > (tp->closed_by_user ? TCP_ORPHAN_RETRIES : TCP_RETRIES2)) {
		tcp_write_err(sk);
		return;
	}
	tcp_send_probe0(sk);
	if (tp->backoff < 20)
		tp->backoff++;
	tp->persist = true;
	tcp_reset_xmit_timer(sk, TCP_TIMER_RETRANS, stack_now(sk->sk_stack) + tcp_backoff_rto(tp));
}

static void tcp_retransmit_timer(struct timer_list *t)
{
	struct tcp_sock *tp = from_timer(tp, t, retransmit_timer);
	struct sock *sk = &tp->inet.sk;
	struct sk_buff *skb;

	if (!tcp_xmit_timer_on(tp, TCP_TIMER_RETRANS))
		return; /* cleared, left to fire into nothing */
	tp->timers_on &= (u8)~TCP_TIMER_RETRANS;
	if (sk->sk_state == TCP_CLOSE || sk->sk_state == TCP_LISTEN)
		return;
	if (tp->fin_pending) {
		/* our FIN found no memory before: once it is queued and sent, the
		 * timer is the RTO again */
		tcp_send_fin(sk);
		if (!tp->fin_pending)
			return;
		if (tcp_out_of_resources_or_timeout(sk)) {
			tcp_write_err(sk);
			return;
		}
		tp->retransmits++;
		if (tp->backoff < 20)
			tp->backoff++;
		tcp_reset_rto(sk);
		return;
	}
	if (tp->persist) {
		tcp_persist_fire(sk);
		return;
	}
	skb = skb_peek(&sk->sk_write_queue);
	if (!skb || skb == tp->send_head)
		return; /* nothing in flight */
	if (tcp_out_of_resources_or_timeout(sk)) {
		tcp_write_err(sk);
		return;
	}
	/* RFC 6298 §5.5-5.6 and RFC 5681 §3.1 (eq. 4): back off, one segment. */
	if (sk->sk_state == TCP_ESTABLISHED || sk->sk_state == TCP_CLOSE_WAIT ||
	    sk->sk_state == TCP_FIN_WAIT1 || sk->sk_state == TCP_CLOSING || sk->sk_state == TCP_LAST_ACK) {
		/* Linux's tcp_enter_loss: an ECN reduction under way already
		 * cut ssthresh for this window */
		if (!tp->retransmits && !(tp->in_cwr && tp->snd_una != tp->high_seq))
			tp->snd_ssthresh = tp->ca_ops->ssthresh(tp);
		tp->snd_cwnd = 1;
		tp->snd_cwnd_cnt = 0;
		tp->in_recovery = false;
		tp->in_cwr = false;
		tcp_ecn_queue_cwr(tp); /* RFC 3168 §6.1.2: a timeout reduces too */
		tp->dupacks = 0;
		tp->high_seq = tp->snd_nxt;
		tcp_sack_clear(sk); /* RFC 6675 §5.1: the scoreboard may be stale */
		tp->undo_armed = false; /* a timeout is not undone (no F-RTO here) */
		/* Go back: everything after the first segment is sent again as cwnd grows. */
		skb = tcp_retrans_prepare(sk, skb);
		tp->send_head = skb_peek_next(skb, &sk->sk_write_queue);
		tp->snd_nxt = TCP_SKB_CB(skb)->end_seq;
	}
	/* Linux's tcp_write_timeout: a Fast Open SYN with data that timed out */
	if (sk->sk_state == TCP_SYN_SENT && tp->syn_data && !tp->retransmits)
		SNMP_INC_STATS(sk->sk_stack, LINUX_MIB_TCPFASTOPENACTIVEFAIL);
	if (!tp->retransmits)
		tp->total_rto_recoveries++;
	tp->total_rto++;
	tp->retransmits++;
	if (tp->backoff < 20)
		tp->backoff++;
	tcp_retransmit_skb(sk, skb);
	tcp_reset_rto(sk);
}

static void tcp_delack_timer(struct timer_list *t)
{
	struct tcp_sock *tp = from_timer(tp, t, delack_timer);

	if (!tcp_xmit_timer_on(tp, TCP_TIMER_DACK))
		return;
	tp->timers_on &= (u8)~TCP_TIMER_DACK;
	if (tp->ack_pending)
		tcp_send_ack(&tp->inet.sk);
}

static void tcp_keepalive_timer(struct timer_list *t)
{
	struct tcp_sock *tp = from_timer(tp, t, keepalive_timer);
	struct sock *sk = &tp->inet.sk;
	ktime_t intvl;

	switch (sk->sk_state) {
	case TCP_TIME_WAIT:
	case TCP_FIN_WAIT2:
		/* TIME_WAIT is over (RFC 9293 §3.6.1, 2*MSL = 60 s as Linux),
		 * or an orphan in FIN_WAIT2 waited tcp_fin_timeout. */
		tcp_done(sk);
		return;
	case TCP_ESTABLISHED:
	case TCP_CLOSE_WAIT:
		break;
	default:
		return;
	}
	if (!sock_flag(sk, SOCK_KEEPOPEN))
		return;
	/* RFC 1122 §4.2.3.6: probe an idle connection; give up after keepcnt. */
	if (tp->probes_out >= (tp->keepalive_probes ? tp->keepalive_probes : TCP_KEEPALIVE_PROBES)) {
		tcp_write_err(sk);
		return;
	}
	tcp_send_probe0(sk);
	tp->probes_out++;
	intvl = tp->keepalive_intvl_s ? (ktime_t)tp->keepalive_intvl_s * NSEC_PER_SEC
				      : TCP_KEEPALIVE_INTVL;
	mod_timer(&tp->keepalive_timer, stack_now(sk->sk_stack) + intvl);
}

/** tcp_set_keepalive - SO_KEEPALIVE: (re)arm or stop the idle timer. */
void tcp_set_keepalive(struct sock *sk, bool on)
{
	struct tcp_sock *tp = tcp_sk(sk);
	ktime_t idle = tp->keepalive_time_s ? (ktime_t)tp->keepalive_time_s * NSEC_PER_SEC
					    : TCP_KEEPALIVE_TIME;

	if (sk->sk_state == TCP_TIME_WAIT || sk->sk_state == TCP_FIN_WAIT2)
		return;
	if (on && (sk->sk_state == TCP_ESTABLISHED || sk->sk_state == TCP_CLOSE_WAIT)) {
		tp->probes_out = 0;
		mod_timer(&tp->keepalive_timer, stack_now(sk->sk_stack) + idle);
	} else if (!on) {
		del_timer(&tp->keepalive_timer);
	}
}

/**
 * tcp_time_wait - enter TIME_WAIT: the connection lingers 2*MSL to absorb
 * strays.  Past tcp_max_tw_buckets TIME_WAIT sockets it lingers not at all
 * (Linux's tcp_time_wait closes it and counts TCPTimeWaitOverflow): a
 * server that closes first would otherwise hold a minute of its connection
 * rate (~1 KB each here) without a cap.  The caller still uses @sk, so the
 * close is the timer's, on its next run, not a tcp_done here.
 */
void tcp_time_wait(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct stack *st = sk->sk_stack;
	ktime_t len = TCP_TIMEWAIT_LEN;

	if (st->ipv4.tcp_tw_count >= st->sysctl.tcp_max_tw_buckets) {
		SNMP_INC_STATS(st, LINUX_MIB_TCPTIMEWAITOVERFLOW);
		len = 0;
	}
	tcp_set_state(sk, TCP_TIME_WAIT);
	tp->timers_on = 0;
	del_timer(&tp->retransmit_timer);
	del_timer(&tp->delack_timer);
	mod_timer(&tp->keepalive_timer, stack_now(st) + len);
}

void tcp_init_xmit_timers(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	timer_setup(sk->sk_stack, &tp->retransmit_timer, tcp_retransmit_timer);
	timer_setup(sk->sk_stack, &tp->delack_timer, tcp_delack_timer);
	timer_setup(sk->sk_stack, &tp->keepalive_timer, tcp_keepalive_timer);
}

void tcp_clear_xmit_timers(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	tp->timers_on = 0;
	del_timer(&tp->retransmit_timer);
	del_timer(&tp->delack_timer);
	del_timer(&tp->keepalive_timer);
}
