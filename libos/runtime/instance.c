/*
 * instance.c - building and tearing down a running skbos (instance.h).
 *
 * Order matters: the device exists before its address (the gratuitous ARP
 * goes out on it), the address before the default route (the gateway must
 * be on a connected network), and everything before the stack thread starts,
 * so the thread never sees a half-built stack.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>

#include "alloc.h"
#include "devfd.h"
#include "instance.h"
#include "afpacket_uring.h"
#include "loopback.h"
#include "inetdevice.h"
#include "addrconf.h"
#include "ip6_route.h"
#include "ipv6.h"
#include "log.h"
#include "loop.h"
#include "pcap.h"
#include "portown.h"
#include "route.h"
#include "stack.h"
#include "tcp.h"

/* SKBOS_ADDR6 (tentative until DAD is done) and SKBOS_GW6's default route. */
static int instance_ipv6(struct skbos_instance *in, const struct skbos_config *c, char *err,
			 size_t errlen)
{
	static const struct in6_addr any;
	int rc;

	if (!c->have_addr6)
		return 0;
	/* A configured router wins over advertised ones (the rule). */
	in->st->sysctl.accept_ra = !c->have_gw6;
	rc = ipv6_addr_add(in->dev, &c->addr6, c->prefixlen6, 0);
	if (rc) {
		snprintf(err, errlen, "SKBOS_ADDR6: cannot configure it: %s", strerror(-rc));
		return rc;
	}
	if (c->have_gw6 && (rc = fib6_add(in->st, &any, 0, &c->gw6, in->dev, 1024))) {
		snprintf(err, errlen, "SKBOS_GW6: cannot add the default route: %s", strerror(-rc));
		return rc;
	}
	return 0;
}

static int instance_devices(struct skbos_instance *in, char *err, size_t errlen)
{
	const struct skbos_config *c = &in->cfg;
	struct afpacket_config ac = { 0 };
	struct portown_view view;
	int rc, steer_err = 0;

	if (c->loopback) {
		in->lo = loopback_create(in->st);
		if (IS_ERR(in->lo) || inet_addr_add(in->lo, htonl(0x7f000001), 8)) {
			in->lo = NULL;
			snprintf(err, errlen, "SKBOS_LOOPBACK=1: cannot create the loopback device");
			return -ENOMEM;
		}
	}
	if (!c->have_if)
		return 0;
	ac.mac = c->have_mac ? c->mac : NULL;
	ac.mtu = c->mtu;
	/* The stack thread and blocked application threads both drive it. */
	ac.uring_opts = AFP_SHARED_RING;
	/* Other skbos processes may share the address: the port table first,
	 * so the socket lets in only our frames from its first one. */
	rc = instance_share_open(in, &view, err, errlen);
	if (rc)
		return rc;
	ac.steer = &view;
	ac.steer_err = &steer_err;
	/* opened early (before a privilege drop), now, or by skbos-netd */
	ac.fd = devfd_get(c, &ac.fd_bound, err, errlen);
	if (ac.fd < 0)
		return ac.fd;
	ac.have_fd = true;
	in->dev = afpacket_create(in->st, c->ifname, &ac);
	if (IS_ERR(in->dev)) {
		rc = (int)PTR_ERR(in->dev);
		in->dev = NULL;
		if (steer_err)
			snprintf(err, errlen, "SKBOS_IF=%s: the kernel refused the port filter "
				 "(SO_ATTACH_FILTER): %s", c->ifname, strerror(-rc));
		else
			snprintf(err, errlen, "SKBOS_IF=%s: cannot open the interface: %s", c->ifname,
				 strerror(-rc));
		return rc;
	}
	instance_share_start(in);
	in->dev->features &= ~c->offloads_off;
	rc = inet_addr_add(in->dev, c->addr, c->prefixlen);
	if (rc) {
		snprintf(err, errlen, "SKBOS_ADDR: cannot configure it: %s", strerror(-rc));
		return rc;
	}
	if (c->gw && (rc = fib_add(in->st, 0, 0, c->gw, in->dev, 0))) {
		snprintf(err, errlen, "SKBOS_GW: cannot add the default route: %s", strerror(-rc));
		return rc;
	}
	return instance_ipv6(in, c, err, errlen);
}

static void (*instance_channel_cb)(struct skbos_instance *in);

/** skbos_instance_set_channel - see instance.h (the shim's inherit.c). */
void skbos_instance_set_channel(void (*cb)(struct skbos_instance *in))
{
	instance_channel_cb = cb;
}

static void instance_channel_serve(void *arg)
{
	instance_channel_cb(arg);
}

/*
 * The epoll set of the channels through which other processes holding
 * this process's connections (fork children) ask for them (inherit.c):
 * one fd, watched by the stack thread like the control socket.
 */
static void instance_channel(struct skbos_instance *in)
{
	if (!instance_channel_cb)
		return;
	in->chan_epfd = epoll_create1(EPOLL_CLOEXEC);
	if (in->chan_epfd >= 0 &&
	    loop_watch_ctl(in->loop, in->chan_epfd, instance_channel_serve, in)) {
		close(in->chan_epfd);
		in->chan_epfd = -1;
	}
}

static void instance_ctl_serve(void *arg)
{
	struct skbos_instance *in = arg;

	ctl_serve(&in->ctl, in->loop, in->st);
}

/* skbos-stat's control socket; without one the stack still runs. */
static void instance_ctl(struct skbos_instance *in)
{
	char err[256];

	if (ctl_open(&in->ctl, err, sizeof(err))) {
		skb_log(in->st, LOG_WARN, "%s", err);
		return;
	}
	loop_watch_ctl(in->loop, in->ctl.fd, instance_ctl_serve, in);
}

/**
 * skbos_instance_create - a running skbos for @cfg.
 * Return: 0 and *@out, or -errno with one line in @err; nothing is left
 * behind on failure.
 */
int skbos_instance_create(struct skbos_instance **out, const struct skbos_config *cfg,
			  char *err, size_t errlen)
{
	struct skbos_instance *in;
	int rc = -ENOMEM;

	in = kzalloc(NULL, sizeof(*in));
	if (!in) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	in->ctl.fd = -1;
	in->chan_epfd = -1;
	in->cfg = *cfg;
	/* Fault injection counts from the stack's first allocation on. */
	if (cfg->failnth)
		failslab_arm(&in->failslab, cfg->failnth, cfg->failnth_persist);
	snprintf(err, errlen, "out of memory");
	in->st = stack_new(&(struct stack_params){
		.families = inet6_families,
		.failslab = cfg->failnth ? &in->failslab : NULL,
		.log_level = cfg->log_level >= 0 ? cfg->log_level : LOG_ERROR,
	});
	if (!in->st)
		goto fail;
	sysctl_from_host(&in->st->sysctl);
	rc = instance_devices(in, err, errlen);
	if (rc)
		goto fail;
	if (cfg->pcap[0]) {
		in->pcap = skb_pcap_open(in->st, cfg->pcap);
		if (!in->pcap) {
			snprintf(err, errlen, "SKBOS_PCAP=%s: cannot write the file", cfg->pcap);
			rc = -EINVAL;
			goto fail;
		}
	}
	in->loop = loop_create(in->st, cfg->thread_init);
	if (in->loop && in->lo)
		loop_set_poll_until_dry(in->loop, true);
	if (in->loop)
		loop_set_spin(in->loop, cfg->spin_us);
	if (in->loop)
		instance_ctl(in);
	if (in->loop)
		instance_channel(in);
	if (!in->loop || (in->dev && loop_watch_fd(in->loop, afpacket_event_fd(in->dev))) ||
	    (rc = loop_start(in->loop))) {
		snprintf(err, errlen, "cannot start the stack thread");
		rc = rc ? rc : -ENOMEM;
		goto fail;
	}
	*out = in;
	return 0;
fail:
	skbos_instance_destroy(in);
	return rc;
}

/**
 * skbos_instance_drain - the process is ending and its sockets are closed:
 * wait, at most @max_ms, while TCP still has data or a FIN to deliver.  The
 * kernel would go on sending for an exiting process; a stack inside the
 * process must finish first or the peer gets a truncated stream.  The stack
 * thread does the work; this thread only looks, once a millisecond.
 */
void skbos_instance_drain(struct skbos_instance *in, int max_ms)
{
	for (int ms = 0; in && ms < max_ms; ms++) {
		bool done;

		loop_lock(in->loop);
		done = tcp_all_sent(in->st);
		loop_unlock(in->loop);
		if (done)
			return;
		usleep(1000);
	}
}

/**
 * skbos_instance_exiting - the process is exiting without a destroy (the
 * shim's destructor): take the control socket's name away, so skbos-stat
 * does not find a process that is gone.
 */
void skbos_instance_exiting(struct skbos_instance *in)
{
	if (in)
		ctl_unlink(&in->ctl);
}

/**
 * skbos_instance_leave - the process is ending and TCP has delivered what
 * it could: its ports are free for the other processes on the address now.
 */
void skbos_instance_leave(struct skbos_instance *in)
{
	if (!in)
		return;
	loop_lock(in->loop);
	instance_share_leave(in);
	loop_unlock(in->loop);
}

/**
 * skbos_instance_fork_parent - the parent of a fork (stack lock held): its
 * listeners go dormant in their groups until it accepts or waits on them.
 */
void skbos_instance_fork_parent(struct skbos_instance *in)
{
	portown_fork_parent(in->po);
}

/** skbos_instance_dormant - has the process listeners dormant since a fork? */
bool skbos_instance_dormant(const struct skbos_instance *in)
{
	return in && portown_dormant(in->po);
}

/**
 * skbos_instance_forget_after_fork - in a child of fork: close the
 * instance's kernel objects that are the parent's (packet socket, ring,
 * eventfd, port table fd, control socket) and drop buffered pcap output;
 * touch nothing else (its lock may be held, its thread is gone).  The
 * memory stays, never used (DESIGN.md "fork/exec and many processes").
 */
void skbos_instance_forget_after_fork(struct skbos_instance *in)
{
	if (in->dev)
		afpacket_forget_after_fork(in->dev);
	portown_forget_after_fork(in->po);
	if (in->ctl.fd >= 0)
		close(in->ctl.fd);
	in->ctl.fd = -1;
	if (in->chan_epfd >= 0)
		close(in->chan_epfd);
	in->chan_epfd = -1;
	if (in->pcap)
		skb_pcap_forget_after_fork(in->pcap);
}

/** skbos_instance_destroy - stop the stack thread, then free everything. */
void skbos_instance_destroy(struct skbos_instance *in)
{
	if (!in)
		return;
	if (in->loop)
		loop_destroy(in->loop);
	ctl_close(&in->ctl);
	if (in->chan_epfd >= 0)
		close(in->chan_epfd);
	instance_share_close(in);
	if (in->pcap)
		skb_pcap_close(in->pcap);
	stack_free(in->st);
	kfree(NULL, in);
}

/** skbos_instance_dump_stats - every nonzero counter, nstat style. */
void skbos_instance_dump_stats(struct skbos_instance *in, FILE *out)
{
	char name[64];

	loop_lock(in->loop);
	for (int i = 0; i < __SNMP_MIB_MAX; i++)
		if (in->st->mib[i])
			fprintf(out, "%-28s %llu\n", snmp_mib_name((enum snmp_mib)i, name, sizeof(name)),
				(unsigned long long)in->st->mib[i]);
	for (int i = 0; i < SKB_DROP_REASON_MAX; i++)
		if (in->st->drops[i])
			fprintf(out, "Drop%-24s %llu\n", skb_drop_reason_name((enum skb_drop_reason)i),
				(unsigned long long)in->st->drops[i]);
	loop_unlock(in->loop);
}
