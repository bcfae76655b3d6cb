/*
 * afpacket_steer.c - which frames the kernel hands this process's packet
 * socket when several skbos processes share one interface address
 * (afpacket_uring.h; DESIGN.md "fork/exec and many processes").
 *
 *   portown (a port changed owner) -> instance -> afpacket_steer
 *	-> a classic BPF program (filter.txt in the kernel's Documentation)
 *	-> SO_ATTACH_FILTER, which replaces the old program atomically
 *
 * An ordinary process lets in ARP (every process learns its neighbours),
 * ICMP but echo requests (errors about its flows, echo replies), IP
 * fragments but the first (they carry no port), and TCP and UDP to the
 * ports it owns.  The default responder lets in everything but TCP and UDP
 * to ports another live process owns.  The filter spares the others'
 * frames; it is not what makes the answers right: a stack still drops
 * silently what it does not own (portshare.h), so a stale filter costs
 * only work.
 *
 * The program sees the frame from its Ethernet header (SOCK_RAW).  Every
 * jump is short (to the next "ret"), so a long port list never needs a
 * jump beyond 255; ports are listed as ranges.
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "alloc.h"
#include "afpacket_priv.h"
#include "log.h"
#include "portown.h"

#define STEER_ACCEPT 0x40000 /* bytes to keep: whole frames (64 KB GSO + header) */
#define STEER_MAXINSNS BPF_MAXINSNS

struct steer_prog {
	struct sock_filter *insn;
	unsigned int len;
	bool full;
};

static void emit(struct steer_prog *p, u16 code, u8 jt, u8 jf, u32 k)
{
	if (p->len >= STEER_MAXINSNS) {
		p->full = true;
		return;
	}
	p->insn[p->len++] = (struct sock_filter)BPF_JUMP(code, k, jt, jf);
}

static void emit_ret(struct steer_prog *p, u32 k)
{
	emit(p, BPF_RET | BPF_K, 0, 0, k);
}

/*
 * The port in A (loaded by the caller) against every listed range of
 * @owner: a match returns @hit, a miss falls through.
 */
static void emit_ports(struct steer_prog *p, const u8 *owner, const bool *sel, u32 hit)
{
	for (u32 lo = 1; lo < 65536 && !p->full; lo++) {
		u32 hi = lo;

		if (!sel[owner[lo]])
			continue;
		while (hi + 1 < 65536 && sel[owner[hi + 1]])
			hi++;
		if (lo == hi) {
			emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, lo);
		} else {
			emit(p, BPF_JMP | BPF_JGE | BPF_K, 0, 2, lo);
			emit(p, BPF_JMP | BPF_JGT | BPF_K, 1, 0, hi);
		}
		emit_ret(p, hit);
		lo = hi;
	}
}

/*
 * X = the IP header's length, if it is one (IHL >= 5) and the frame holds
 * it and 4 bytes more (the ports, an ICMP type); else the responder's.  A
 * load past the end would end the program with 0, a drop: a malformed
 * frame must still reach the one stack that counts it (IpInHdrErrors ...).
 */
static void emit_l4_hdr(struct steer_prog *p, u32 resp)
{
	emit(p, BPF_LDX | BPF_B | BPF_MSH, 0, 0, ETH_HLEN);
	emit(p, BPF_MISC | BPF_TXA, 0, 0, 0);
	emit(p, BPF_JMP | BPF_JGE | BPF_K, 1, 0, 20);
	emit_ret(p, resp);
	emit(p, BPF_ALU | BPF_ADD | BPF_K, 0, 0, ETH_HLEN + 4);
	emit(p, BPF_MISC | BPF_TAX, 0, 0, 0);
	emit(p, BPF_LD | BPF_W | BPF_LEN, 0, 0, 0);
	emit(p, BPF_JMP | BPF_JGE | BPF_X, 1, 0, 0);
	emit_ret(p, resp);
	emit(p, BPF_LDX | BPF_B | BPF_MSH, 0, 0, ETH_HLEN);
}

static void emit_stmt(struct steer_prog *p, u16 code, u32 k)
{
	emit(p, code, 0, 0, k);
}

/* A ^= A >> @shift (X is clobbered) */
static void emit_xorshift(struct steer_prog *p, u32 shift)
{
	emit_stmt(p, BPF_MISC | BPF_TAX, 0);
	emit_stmt(p, BPF_ALU | BPF_RSH | BPF_K, shift);
	emit_stmt(p, BPF_ALU | BPF_XOR | BPF_X, 0);
}

/*
 * A = portown_hash(source address, source port) of the frame (X = the IP
 * header's length on entry; clobbered).  Loads are in host order, as the
 * hash takes them.
 */
static void emit_hash(struct steer_prog *p)
{
	emit_stmt(p, BPF_LD | BPF_H | BPF_IND, ETH_HLEN);
	emit_stmt(p, BPF_ALU | BPF_MUL | BPF_K, 0x9e3779b1u);
	emit_stmt(p, BPF_ST, 0);
	emit_stmt(p, BPF_LD | BPF_W | BPF_ABS, ETH_HLEN + 12);
	emit_stmt(p, BPF_LDX | BPF_MEM, 0);
	emit_stmt(p, BPF_ALU | BPF_XOR | BPF_X, 0);
	emit_xorshift(p, 16);
	emit_stmt(p, BPF_ALU | BPF_MUL | BPF_K, 0x85ebca6bu);
	emit_xorshift(p, 13);
	emit_stmt(p, BPF_ALU | BPF_MUL | BPF_K, 0xc2b2ae35u);
	emit_xorshift(p, 16);
}

/*
 * A steered listener group's port (portown.h, struct portown_steer): every
 * SYN without ACK (the stacks pick), the flows the hash gives this member,
 * its listed connections; nothing else (another member's flows).  X = the
 * IP header's length on entry.  A frame too short for the TCP flags is the
 * responder's (@resp), as any malformed frame.
 */
static void emit_steer(struct steer_prog *p, const struct portown_steer *s, u32 resp)
{
	emit_stmt(p, BPF_MISC | BPF_TXA, 0);
	emit_stmt(p, BPF_ALU | BPF_ADD | BPF_K, ETH_HLEN + 14);
	emit_stmt(p, BPF_MISC | BPF_TAX, 0);
	emit_stmt(p, BPF_LD | BPF_W | BPF_LEN, 0);
	emit(p, BPF_JMP | BPF_JGE | BPF_X, 1, 0, 0);
	emit_ret(p, resp);
	emit_stmt(p, BPF_LDX | BPF_B | BPF_MSH, ETH_HLEN);
	emit_stmt(p, BPF_LD | BPF_B | BPF_IND, ETH_HLEN + 13);
	emit_stmt(p, BPF_ALU | BPF_AND | BPF_K, 0x12); /* SYN | ACK */
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0x02);
	emit_ret(p, STEER_ACCEPT);
	if (s->k >= 0) {
		emit_hash(p);
		emit_stmt(p, BPF_ALU | BPF_MOD | BPF_K, s->n);
		emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, (u32)s->k);
		emit_ret(p, STEER_ACCEPT);
		emit_stmt(p, BPF_LDX | BPF_B | BPF_MSH, ETH_HLEN);
	}
	for (unsigned int i = 0; i < s->nexc; i++) {
		emit_stmt(p, BPF_LD | BPF_W | BPF_ABS, ETH_HLEN + 12);
		emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 3, ntohl(s->exc[i].saddr));
		emit_stmt(p, BPF_LD | BPF_H | BPF_IND, ETH_HLEN);
		emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, ntohs(s->exc[i].sport));
		emit_ret(p, STEER_ACCEPT);
	}
	emit_ret(p, 0);
}

/* TCP or UDP (@idx 0/1): A = the destination port, then the list. */
static void emit_l4(struct steer_prog *p, const struct portown_view *v, int idx)
{
	u32 resp = v->responder ? STEER_ACCEPT : 0;
	unsigned int ja[PORTOWN_STEER_MAX];
	int n = 0;

	emit_l4_hdr(p, resp);
	emit(p, BPF_LD | BPF_H | BPF_IND, 0, 0, ETH_HLEN + 2);
	/* TCP: the steered group ports first, each to its block below */
	for (int i = 0; idx == 0 && i < v->nsteer; i++) {
		if (v->steer[i].all)
			continue;
		emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, v->steer[i].port);
		ja[n++] = p->len;
		emit(p, BPF_JMP | BPF_JA, 0, 0, 0); /* k: patched */
	}
	emit_ports(p, v->owner[idx], v->sel, v->responder ? 0 : STEER_ACCEPT);
	emit_ret(p, resp);
	for (int i = 0, j = 0; idx == 0 && i < v->nsteer && !p->full; i++) {
		if (v->steer[i].all)
			continue;
		p->insn[ja[j]].k = p->len - ja[j] - 1;
		j++;
		emit_steer(p, &v->steer[i], resp);
	}
}

/*
 * The program:
 *	shorter than an IP header -> the responder's
 *	ldh [12]; ARP -> accept; not IPv4 -> the responder's
 *	ldh [20]; a fragment but the first -> accept
 *	ldb [23]; ICMP: echo request -> the responder's, other types -> accept
 *	UDP -> ja the UDP list; TCP -> the TCP list; else the responder's
 * "The responder's": accepted by the default responder, dropped by others.
 * BPF_JA takes a 32-bit offset, so the jump over a long TCP list is fine.
 */
static void steer_build(struct steer_prog *p, const struct portown_view *v)
{
	u32 resp = v->responder ? STEER_ACCEPT : 0;
	unsigned int ja, icmp;

	emit(p, BPF_LD | BPF_W | BPF_LEN, 0, 0, 0);
	emit(p, BPF_JMP | BPF_JGE | BPF_K, 1, 0, ETH_HLEN + 20);
	emit_ret(p, resp);
	emit(p, BPF_LD | BPF_H | BPF_ABS, 0, 0, 12);
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, ETH_P_ARP);
	emit_ret(p, STEER_ACCEPT);
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, ETH_P_IP);
	emit_ret(p, resp);
	emit(p, BPF_LD | BPF_H | BPF_ABS, 0, 0, ETH_HLEN + 6);
	emit(p, BPF_JMP | BPF_JSET | BPF_K, 0, 1, 0x1fff);
	emit_ret(p, STEER_ACCEPT);
	emit(p, BPF_LD | BPF_B | BPF_ABS, 0, 0, ETH_HLEN + 9);
	icmp = p->len;
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 0, IPPROTO_ICMP); /* jf: patched past the block */
	emit_l4_hdr(p, resp);
	emit(p, BPF_LD | BPF_B | BPF_IND, 0, 0, ETH_HLEN);
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 8 /* ICMP_ECHO */);
	emit_ret(p, resp);
	emit_ret(p, STEER_ACCEPT);
	p->insn[icmp].jf = (u8)(p->len - icmp - 1);
	/* Not ICMP: reload the protocol (the block above may not have run). */
	emit(p, BPF_LD | BPF_B | BPF_ABS, 0, 0, ETH_HLEN + 9);
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, IPPROTO_UDP);
	ja = p->len;
	emit(p, BPF_JMP | BPF_JA, 0, 0, 0); /* k: patched to the UDP list */
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, IPPROTO_TCP);
	emit_ret(p, resp);
	emit_l4(p, v, 0);
	if (p->full)
		return;
	p->insn[ja].k = p->len - ja - 1;
	emit_l4(p, v, 1);
}

/**
 * afpacket_steer - let in only the frames @v says this process must see
 * (the file's header).  With more ports than a program can list, TCP and
 * UDP are all let in (the stack's own checks keep it right).
 * Return: 0, or -errno from SO_ATTACH_FILTER (the caller names it).
 */
int afpacket_steer(struct net_device *dev, const struct portown_view *v)
{
	struct afpacket_priv *pr = netdev_priv(dev);
	struct steer_prog p = { .insn = kmalloc(dev->stack->failslab, STEER_MAXINSNS * sizeof(struct sock_filter)) };
	struct sock_fprog prog;
	bool listed = false;
	int rc = 0;

	if (!p.insn)
		return -ENOMEM;
	for (int i = 0; i < 2 * 65536 && v->responder && !listed; i++)
		listed = (i & 0xffff) && v->sel[v->owner[i >> 16][i & 0xffff]];
	if (v->responder && !listed && !v->nsteer)
		emit_ret(&p, STEER_ACCEPT); /* alone on the address: every frame */
	else
		steer_build(&p, v);
	if (p.full) {
		skb_log(dev->stack, LOG_INFO, "afpacket %s: too many ports for a filter; all TCP/UDP let in",
			dev->name);
		p.len = 0;
		emit_ret(&p, STEER_ACCEPT);
	}
	prog.len = (unsigned short)p.len;
	prog.filter = p.insn;
	if (setsockopt(pr->fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0)
		rc = -errno;
	kfree(dev->stack->failslab, p.insn);
	return rc;
}
