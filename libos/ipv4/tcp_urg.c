/*
 * tcp_urg.c - TCP urgent data as Linux keeps it (net/ipv4/tcp.c,
 * tcp_input.c's tcp_urg/tcp_check_urg, tcp_output.c's URG header).
 *
 *   send(MSG_OOB) -> tcp_mark_urg (snd_up) -> tcp_urg_header on each segment before it
 *   tcp_rcv_state_process step 6 -> tcp_urg -> tcp_check_urg (urg_seq, urg_data)
 *   recv(MSG_OOB) -> tcp_recv_urg;  recv -> tcp_urg_stop/tcp_urg_skip (the mark)
 *   SIOCATMARK -> tcp_at_mark;  poll -> EPOLLPRI while the byte is unread
 *
 * Read first: RFC 9293 §3.8.5 ("The Communication of Urgent Information"),
 * RFC 6093 (the urgent pointer points to the byte after the urgent data in
 * every stack that matters; one byte of "out-of-band" data, which Linux
 * takes out of the stream unless SO_OOBINLINE), RFC 1122 §4.2.2.4.
 * Linux's net.ipv4.tcp_stdurg is 0: the pointer is one past the byte.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "sock.h"
#include "tcp.h"

/** tcp_mark_urg - send(MSG_OOB): the last byte written is urgent. */
void tcp_mark_urg(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	tp->snd_up = tp->write_seq;
	tp->urg_mode = 1;
}

/**
 * tcp_urg_header - URG and the urgent pointer for a segment starting at
 * @seq (tcp_transmit_skb): every segment that starts before snd_up says
 * where urgent data ends; one too far away points as far as it can (0xffff,
 * RFC 6093 §3's "urgent pointer" beyond the segment).
 */
void tcp_urg_header(const struct tcp_sock *tp, u32 seq, struct tcphdr *th)
{
	if (!tp->urg_mode || !before(seq, tp->snd_up))
		return;
	if (before(tp->snd_up, seq + 0x10000)) {
		th->urg_ptr = htons((u16)(tp->snd_up - seq));
		th->urg = 1;
	} else if (after(seq + 0xffff, tp->snd_nxt)) {
		th->urg_ptr = htons(0xffff);
		th->urg = 1;
	}
}

/** tcp_urg_acked - snd_una moved to @ack: urgent mode ends once snd_up is acknowledged. */
void tcp_urg_acked(struct tcp_sock *tp, u32 prior_una, u32 ack)
{
	if (tp->urg_mode && between(tp->snd_up, prior_una, ack))
		tp->urg_mode = 0;
}

/*
 * A new urgent pointer (tcp_check_urg): ignore one already read or already
 * known; if the reader sits on an urgent byte it has not read inline, that
 * byte is stepped over now, as Linux does, so it is not read again as data.
 */
static void tcp_check_urg(struct sock *sk, const struct tcphdr *th)
{
	struct tcp_sock *tp = tcp_sk(sk);
	u32 ptr = ntohs(th->urg_ptr);

	if (ptr)
		ptr--; /* tcp_stdurg 0: one past the urgent byte (RFC 6093 §2) */
	ptr += ntohl(th->seq);
	if (after(tp->copied_seq, ptr) || before(ptr, tp->rcv_nxt))
		return;
	if (tp->urg_data && !after(ptr, tp->urg_seq))
		return;
	sk_send_sigurg(sk); /* "tell the world about our new urgent pointer" */
	if (tp->urg_seq == tp->copied_seq && tp->urg_data && !sock_flag(sk, SOCK_URGINLINE) &&
	    tp->copied_seq != tp->rcv_nxt) {
		struct sk_buff *skb = skb_peek(&sk->sk_receive_queue);

		tp->copied_seq++;
		if (skb) {
			__skb_pull(skb, 1);
			if (!skb->len) {
				skb_unlink(skb, &sk->sk_receive_queue);
				consume_skb(skb);
			}
		}
	}
	tp->urg_data = TCP_URG_NOTYET;
	tp->urg_seq = ptr;
}

/**
 * tcp_urg - RFC 9293 §3.10.7.4 step 6, "check the URG bit": learn a new
 * urgent pointer, and take the urgent byte once a segment holds it.  @skb's
 * data is its payload, starting at TCP_SKB_CB(skb)->seq.  Borrows @skb.
 */
void tcp_urg(struct sock *sk, struct sk_buff *skb, const struct tcphdr *th)
{
	struct tcp_sock *tp = tcp_sk(sk);
	u32 off;
	u8 c;

	if (th->urg)
		tcp_check_urg(sk, th);
	if (tp->urg_data != TCP_URG_NOTYET)
		return;
	off = tp->urg_seq - TCP_SKB_CB(skb)->seq;
	if (off < skb->len && !skb_copy_bits(skb, (int)off, &c, 1)) {
		tp->urg_data = TCP_URG_VALID | c;
		sk->sk_data_ready(sk);
	}
}

/**
 * tcp_recv_urg - recv(MSG_OOB) (tcp_recv_urg): the urgent byte, once;
 * EINVAL with SO_OOBINLINE, with none, or once it was read; EAGAIN while it
 * is announced but has not arrived (never blocks); 0 after the peer's FIN.
 * MSG_PEEK leaves it; a zero-length buffer gets MSG_TRUNC.
 * Return: 1, 0 or -errno.
 */
int tcp_recv_urg(struct sock *sk, struct msghdr *msg, size_t len, int flags)
{
	struct tcp_sock *tp = tcp_sk(sk);
	size_t off = 0;
	char c;

	if (sock_flag(sk, SOCK_URGINLINE) || !tp->urg_data || tp->urg_data == TCP_URG_READ)
		return -EINVAL; /* "Yes this is right !" (Linux) */
	if (sk->sk_state == TCP_CLOSE && !sock_flag(sk, SOCK_DONE))
		return -ENOTCONN;
	if (tp->urg_data & TCP_URG_VALID) {
		c = (char)tp->urg_data;
		if (!(flags & MSG_PEEK))
			tp->urg_data = TCP_URG_READ;
		msg->msg_flags |= MSG_OOB;
		if (!len) {
			msg->msg_flags |= MSG_TRUNC;
			return 0;
		}
		if (!(flags & MSG_TRUNC) && memcpy_to_msg(msg, &c, 1, &off))
			return -EFAULT;
		return 1;
	}
	if (sk->sk_state == TCP_CLOSE || (sk->sk_shutdown & RCV_SHUTDOWN))
		return 0;
	return -EAGAIN;
}

/** tcp_at_mark - SIOCATMARK: the next byte to read is the urgent one. */
bool tcp_at_mark(const struct tcp_sock *tp)
{
	return tp->urg_data && tp->urg_seq == tp->copied_seq;
}

/**
 * tcp_urg_limit - how much of @used bytes at stream position @seq a read
 * may take: up to the mark, never across it (tcp_recvmsg_locked).  Sets
 * *@skip when the byte at @seq is urgent and not inline: the reader steps
 * over it.
 */
size_t tcp_urg_limit(const struct sock *sk, u32 seq, size_t used, bool *skip)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	u32 urg_off = tp->urg_seq - seq;

	*skip = false;
	if (!tp->urg_data || urg_off >= used)
		return used;
	if (urg_off)
		return urg_off;
	*skip = !sock_flag(sk, SOCK_URGINLINE);
	return used;
}

/** tcp_urg_passed - the reader is past the urgent byte: the mark is gone. */
void tcp_urg_passed(struct tcp_sock *tp)
{
	if (tp->urg_data && after(tp->copied_seq, tp->urg_seq))
		tp->urg_data = 0;
}
