/*
 * instance_share.c - a running skbos's part in sharing its interface
 * address with other skbos processes (instance.h, portown.h; DESIGN.md
 * "fork/exec and many processes"): the port table joined before the
 * device opens, the packet filter kept in step with it, the periodic tick.
 *
 *   skbos_instance_create -> instance_share_open (table, first filter)
 *	-> afpacket_create(.steer) -> instance_share_start (core hooks, tick)
 *   po_claim / portown_tick -> instance_share_steer -> afpacket_steer
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <linux/if_packet.h>

#include "instance.h"
#include "afpacket_uring.h"
#include "ctl.h"
#include "log.h"
#include "portown.h"
#include "stack.h"
#include "tcp.h"
#include "alloc.h"

#define SHARE_TICK_NS (200 * NSEC_PER_MSEC)

/**
 * instance_fd_still - @fd if it is still the file (inode @ino) opened
 * before (at fork: the program may have closed it since, and its number
 * may be another file now), else -1.
 */
int instance_fd_still(bool have, int fd, unsigned long ino)
{
	struct stat sb;

	if (!have || fstat(fd, &sb) || (unsigned long)sb.st_ino != ino)
		return -1;
	return fd;
}

/**
 * instance_preopen_after_fork - in a child of fork, while it may still be
 * privileged (prefork workers drop privileges soon after): open what its
 * own stack will need and a later setuid would forbid: the port table (in
 * a root-only directory), recorded in @cfg for the stack to start with at
 * the child's first socket.  (Its AF_PACKET socket: devfd_after_fork.)
 */
void instance_preopen_after_fork(const struct skbos_instance *old, struct skbos_config *cfg)
{
	struct stat sb;
	int fd;

	cfg->have_table_fd = false;
	cfg->table_dir[0] = '\0';
	if (old->po)
		portown_dir(old->po, cfg->table_dir, sizeof(cfg->table_dir));
	fd = old->po ? portown_reopen(old->po) : -1;
	if (fd >= 0 && !fstat(fd, &sb)) {
		cfg->have_table_fd = true;
		cfg->table_fd = fd;
		cfg->table_ino = (unsigned long)sb.st_ino;
	}
}

struct share_walk {
	struct portown *po;
	struct portown_view *v;
};

static void instance_share_conn(struct sock *sk, void *arg)
{
	struct share_walk *w = arg;

	if (sk->sk_state != TCP_LISTEN && !tcp_sk(sk)->migrated)
		portown_view_conn(w->po, w->v, sk->sk_num, sk->sk_daddr, sk->sk_dport);
}

/*
 * The filter from the table as it is now (stack lock held), with every
 * connection of ours on a steered group port that the hash would send
 * elsewhere listed (portown.h).
 */
static void instance_share_steer(void *arg)
{
	struct skbos_instance *in = arg;
	struct portown_view *v;
	int rc;

	if (!in->dev)
		return;
	v = kmalloc(in->st->failslab, sizeof(*v));
	if (!v) {
		skb_log(in->st, LOG_WARN, "SKBOS_IF=%s: no memory for the port filter; the old one stays",
			in->cfg.ifname);
		return;
	}
	portown_view(in->po, v);
	if (v->nsteer)
		tcp_for_each_sock(in->st, instance_share_conn, &(struct share_walk){ in->po, v });
	rc = afpacket_steer(in->dev, v);
	kfree(in->st->failslab, v);
	if (rc)
		skb_log(in->st, LOG_ERROR,
			"SKBOS_IF=%s: the kernel refused the port filter (SO_ATTACH_FILTER): %s",
			in->cfg.ifname, strerror(-rc));
}

static void instance_share_tick(struct timer_list *t)
{
	struct skbos_instance *in = from_timer(in, t, share_tick);

	portown_tick(in->po);
	mod_timer(t, stack_now(in->st) + SHARE_TICK_NS);
}

/**
 * instance_share_open - join the port table of the configured address and
 * put the first filter in @view, for the device to attach before it binds.
 * Return: 0, or -errno with one line in @err.
 */
int instance_share_open(struct skbos_instance *in, struct portown_view *view, char *err,
			size_t errlen)
{
	const struct skbos_config *c = &in->cfg;
	unsigned int ifindex = if_nametoindex(c->ifname);
	char dir[128];
	int rc;

	if (!ifindex) {
		snprintf(err, errlen, "SKBOS_IF=%s: cannot open the interface: %s", c->ifname,
			 strerror(errno));
		return -ENODEV;
	}
	/* A forked child shares its parent's table even when it can no longer
	 * make the parent's directory its own (after setuid): never a table of
	 * its own beside the parent's, which would answer for the parent. */
	if (c->table_dir[0])
		snprintf(dir, sizeof(dir), "%s", c->table_dir);
	else if (ctl_rundir(dir, sizeof(dir))) {
		snprintf(err, errlen, "no directory for the port table (%s: %s)", dir,
			 strerror(ENOENT));
		return -ENOENT;
	}
	in->po = portown_open(dir, (int)ifindex, c->addr,
			      instance_fd_still(c->have_table_fd, c->table_fd, c->table_ino),
			      in->st->log_level, err, errlen);
	if (IS_ERR(in->po)) {
		rc = (int)PTR_ERR(in->po);
		in->po = NULL;
		return rc;
	}
	portown_view(in->po, view);
	return 0;
}

/** instance_share_start - the device is up: the core asks the table from now on. */
void instance_share_start(struct skbos_instance *in)
{
	if (!in->po)
		return;
	portown_set_notify(in->po, instance_share_steer, in);
	in->st->share = portown_share(in->po);
	timer_setup(in->st, &in->share_tick, instance_share_tick);
	mod_timer(&in->share_tick, stack_now(in->st) + SHARE_TICK_NS);
}

/**
 * instance_share_leave - the process is ending (stack lock held): its
 * ports are free for others at once, and it stops answering for anyone.
 */
void instance_share_leave(struct skbos_instance *in)
{
	if (in->po)
		portown_leave(in->po);
}

/** instance_share_close - leave the table (the stack is stopped). */
void instance_share_close(struct skbos_instance *in)
{
	if (in->st)
		in->st->share = NULL;
	portown_close(in->po);
	in->po = NULL;
}
