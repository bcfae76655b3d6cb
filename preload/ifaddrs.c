/*
 * ifaddrs.c - skbos's address seen where the program looks for its
 * addresses, as if the kernel had it (issue 19): the address skbos owns
 * lives on an interface the kernel has no IPv4 address on, so every way a
 * program asks "what are my addresses" must add it.
 *
 *   getifaddrs()                      -> the kernel's list + an AF_INET entry per skbos device
 *   socket(AF_NETLINK, NETLINK_ROUTE) -> nl_route_mark(fd)
 *     send*(RTM_GETADDR dump)         -> nl_route_sent: remember its sequence number
 *     recv*(the datagram where it belongs)    -> nl_route_recvmsg: RTM_NEWADDR inserted there
 *   getaddrinfo(AI_ADDRCONFIG)        -> glibc's decision (getaddrinfo.c, __check_pf) made
 *                                        with skbos's address counted, as glibc's own netlink
 *                                        calls (internal, not interposable) cannot see it
 *
 * Other processes see nothing: this is only in the shim.  The loopback
 * device is left out (the kernel's lo already has 127.0.0.1).  Read first:
 * rtnetlink(7), netlink(7), getifaddrs(3), getaddrinfo(3) (AI_ADDRCONFIG).
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <ifaddrs.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netdb.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "shim.h"
#include "ifaddrs.h"
#include "instance.h"
#include "net.h"

/* ---- skbos's addresses ------------------------------------------------------ */

#define SKBOS_IFADDR_MAX 4

/* The addresses of the running (or now started) instance's devices but lo. */
static int skbos_ifaddrs(struct inet_dev_addr *out, int max)
{
	struct skbos_instance *in;
	int err = 0, n;

	if (!shim_enabled || shim_inside)
		return 0;
	in = shim_start(&err);
	if (!in)
		return 0;
	shim_lock(in);
	n = inet_dev_addrs(in->st, in->lo, out, max);
	shim_unlock(in);
	for (int i = 0; i < n; i++) /* the kernel's name for it (skbos may call it otherwise) */
		if_indextoname((unsigned int)out[i].ifindex, out[i].name);
	return n;
}

/* ---- NETLINK_ROUTE dumps ------------------------------------------------------- */

#define NL_FDS 4096
static unsigned char nl_route_fds[NL_FDS / 8];

/* One RTM_GETADDR dump waiting for its end, per socket (few at a time). */
static struct nl_pending {
	int fd;
	__u32 seq;
} nl_pending[8];
static pthread_mutex_t nl_lock = PTHREAD_MUTEX_INITIALIZER;

/** nl_route_mark - @fd is a new socket(AF_NETLINK, *, NETLINK_ROUTE). */
void nl_route_mark(int fd)
{
	if (fd >= 0 && fd < NL_FDS)
		__atomic_or_fetch(&nl_route_fds[fd / 8], (unsigned char)(1u << (fd % 8)),
				  __ATOMIC_RELAXED);
}

/** nl_route_fd - whether @fd was made a NETLINK_ROUTE socket (one load). */
bool nl_route_fd(int fd)
{
	return (unsigned int)fd < NL_FDS &&
	       (__atomic_load_n(&nl_route_fds[fd / 8], __ATOMIC_RELAXED) & (1u << (fd % 8)));
}

static void nl_route_unmark(int fd)
{
	__atomic_and_fetch(&nl_route_fds[fd / 8], (unsigned char)~(1u << (fd % 8)),
			   __ATOMIC_RELAXED);
}

/* Still a NETLINK_ROUTE socket (the number may have been reused)? */
static bool nl_route_check(int fd)
{
	int v = 0;
	socklen_t l = sizeof(v);

	if (real.getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &l) || v != AF_NETLINK ||
	    real.getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &v, &l) || v != NETLINK_ROUTE) {
		nl_route_unmark(fd);
		return false;
	}
	return true;
}

static struct nl_pending *nl_pending_find(int fd)
{
	for (size_t i = 0; i < sizeof(nl_pending) / sizeof(nl_pending[0]); i++)
		if (nl_pending[i].fd == fd + 1) /* 0: a free slot */
			return &nl_pending[i];
	return NULL;
}

/**
 * nl_route_sent - @fd sent @len bytes at @buf: an RTM_GETADDR dump for
 * IPv4 (or every family) makes its answer one to complete.
 */
void nl_route_sent(int fd, const void *buf, size_t len)
{
	const struct nlmsghdr *nh = buf;
	const struct ifaddrmsg *ifa;
	struct nl_pending *p;

	if (len < NLMSG_LENGTH(sizeof(struct rtgenmsg)) || nh->nlmsg_type != RTM_GETADDR ||
	    (nh->nlmsg_flags & NLM_F_DUMP) != NLM_F_DUMP || !nl_route_check(fd))
		return;
	ifa = NLMSG_DATA(nh);
	if (ifa->ifa_family != AF_UNSPEC && ifa->ifa_family != AF_INET)
		return;
	pthread_mutex_lock(&nl_lock);
	p = nl_pending_find(fd);
	if (!p)
		p = nl_pending_find(-1);
	if (p) {
		p->fd = fd + 1;
		p->seq = nh->nlmsg_seq;
	}
	pthread_mutex_unlock(&nl_lock);
}

static void nla_put(unsigned char **pos, unsigned short type, const void *data, size_t len)
{
	struct nlattr nla = { .nla_len = (unsigned short)NLA_HDRLEN + (unsigned short)len,
			      .nla_type = type };

	memcpy(*pos, &nla, sizeof(nla));
	memcpy(*pos + NLA_HDRLEN, data, len);
	memset(*pos + NLA_HDRLEN + len, 0, NLA_ALIGN(len) - len);
	*pos += NLA_HDRLEN + NLA_ALIGN(len);
}

/*
 * The RTM_NEWADDR the kernel would send for @a (inet_fill_ifaddr's
 * attributes, in its order) at @out.  Return: its length.
 */
static size_t nl_fill_ifaddr(unsigned char *out, const struct inet_dev_addr *a, __u32 seq,
			     __u32 pid)
{
	struct nlmsghdr nh = { .nlmsg_type = RTM_NEWADDR, .nlmsg_flags = NLM_F_MULTI,
			       .nlmsg_seq = seq, .nlmsg_pid = pid };
	struct ifaddrmsg ifa = { .ifa_family = AF_INET, .ifa_prefixlen = a->prefixlen,
				 .ifa_flags = IFA_F_PERMANENT, .ifa_scope = RT_SCOPE_UNIVERSE,
				 .ifa_index = (unsigned int)a->ifindex };
	struct ifa_cacheinfo ci = { .ifa_prefered = 0xffffffffu, .ifa_valid = 0xffffffffu };
	unsigned char *pos = out + NLMSG_HDRLEN;
	__u32 flags = IFA_F_PERMANENT;

	memcpy(pos, &ifa, sizeof(ifa));
	pos += NLMSG_ALIGN(sizeof(ifa));
	nla_put(&pos, IFA_ADDRESS, &a->addr, 4);
	nla_put(&pos, IFA_LOCAL, &a->addr, 4);
	if (a->brd.s_addr)
		nla_put(&pos, IFA_BROADCAST, &a->brd, 4);
	nla_put(&pos, IFA_LABEL, a->name, strlen(a->name) + 1);
	nla_put(&pos, IFA_FLAGS, &flags, sizeof(flags));
	nla_put(&pos, IFA_CACHEINFO, &ci, sizeof(ci));
	nh.nlmsg_len = (__u32)(pos - out);
	memcpy(out, &nh, sizeof(nh));
	return nh.nlmsg_len;
}

/*
 * Where skbos's addresses go in @buf (@n bytes) of the dump numbered @seq:
 * where the kernel would have put an IPv4 address of @ifindex (families in
 * order, then ifindexes): before the first IPv6 address, a higher
 * ifindex's IPv4 one, or NLMSG_DONE.  Return: the offset, -1 if not in
 * this datagram, -2 if an NLMSG_ERROR ends the dump.
 */
static long nl_find_insert(const unsigned char *buf, size_t n, __u32 seq, int ifindex)
{
	const struct nlmsghdr *nh = (const void *)buf;
	size_t left = n;

	for (; NLMSG_OK(nh, left); nh = NLMSG_NEXT(nh, left)) {
		const struct ifaddrmsg *ifa = NLMSG_DATA(nh);

		if (nh->nlmsg_seq != seq)
			continue;
		if (nh->nlmsg_type == NLMSG_ERROR)
			return -2;
		if (nh->nlmsg_type == NLMSG_DONE ||
		    (nh->nlmsg_type == RTM_NEWADDR && nh->nlmsg_len >= NLMSG_LENGTH(sizeof(*ifa)) &&
		     (ifa->ifa_family == AF_INET6 ||
		      (ifa->ifa_family == AF_INET && (int)ifa->ifa_index > ifindex))))
			return (long)((const unsigned char *)nh - buf);
	}
	return -1;
}

/* Copy @n bytes of @src into @msg's iovecs.  Return: what fit. */
static size_t nl_copy_out(struct msghdr *msg, const unsigned char *src, size_t n)
{
	size_t done = 0;

	for (size_t i = 0; i < msg->msg_iovlen && done < n; i++) {
		size_t k = msg->msg_iov[i].iov_len < n - done ? msg->msg_iov[i].iov_len : n - done;

		memcpy(msg->msg_iov[i].iov_base, src + done, k);
		done += k;
	}
	return done;
}

/*
 * The datagram at the front of @fd's queue holds the place of skbos's
 * addresses in @p's dump (nl_find_insert): hand the application that
 * datagram with skbos's RTM_NEWADDR messages there; consumed (and @p done)
 * unless MSG_PEEK.  Return: as recvmsg, or -2 to let the kernel's recvmsg
 * answer.
 */
static ssize_t nl_route_complete(int fd, struct msghdr *msg, int flags, struct nl_pending *p)
{
	struct inet_dev_addr a[SKBOS_IFADDR_MAX];
	struct sockaddr_nl from;
	struct iovec iov;
	struct msghdr m = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov,
			    .msg_iovlen = 1 };
	unsigned char *buf, *out;
	ssize_t n, ret = -2;
	size_t len, copied;
	long done;
	int na;

	n = real.recv(fd, NULL, 0, MSG_PEEK | MSG_TRUNC | (flags & MSG_DONTWAIT));
	if (n < 0)
		return -1;
	na = skbos_ifaddrs(a, SKBOS_IFADDR_MAX);
	buf = malloc((size_t)n + 1);
	out = malloc((size_t)n + (size_t)na * 128 + 1);
	if (!buf || !out)
		goto out;
	iov.iov_base = buf;
	iov.iov_len = (size_t)n;
	if (real.recvmsg(fd, &m, MSG_PEEK | MSG_DONTWAIT) != n)
		goto out;
	done = nl_find_insert(buf, (size_t)n, p->seq, na ? a[0].ifindex : 0);
	if (done == -2 || !na)
		p->fd = 0; /* an error answered it, or skbos has no address: nothing to add */
	if (done < 0)
		goto out;
	memcpy(out, buf, (size_t)done);
	len = (size_t)done;
	for (int i = 0; i < na; i++)
		len += nl_fill_ifaddr(out + len, &a[i], p->seq,
				      ((const struct nlmsghdr *)(const void *)(buf + done))->nlmsg_pid);
	memcpy(out + len, buf + done, (size_t)n - (size_t)done);
	len += (size_t)n - (size_t)done;
	copied = nl_copy_out(msg, out, len);
	msg->msg_flags = copied < len ? MSG_TRUNC : 0;
	if (msg->msg_name) {
		memcpy(msg->msg_name, &from, msg->msg_namelen < sizeof(from) ? msg->msg_namelen :
									     sizeof(from));
		msg->msg_namelen = sizeof(from);
	}
	msg->msg_controllen = 0;
	if (!(flags & MSG_PEEK)) {
		real.recv(fd, buf, 0, MSG_DONTWAIT); /* consume the kernel's datagram */
		p->fd = 0;
	}
	ret = (flags & MSG_TRUNC) ? (ssize_t)len : (ssize_t)copied;
out:
	free(buf);
	free(out);
	return ret;
}

/**
 * nl_route_recvmsg - recvmsg on a NETLINK_ROUTE socket: the kernel's,
 * except the datagram that ends an IPv4 address dump gains skbos's
 * addresses.  Return: as recvmsg(2).
 */
ssize_t nl_route_recvmsg(int fd, struct msghdr *msg, int flags)
{
	struct nl_pending *p, copy;
	ssize_t rc = -2;

	pthread_mutex_lock(&nl_lock);
	p = nl_pending_find(fd);
	if (p) {
		copy = *p;
		pthread_mutex_unlock(&nl_lock);
		rc = nl_route_complete(fd, msg, flags, &copy);
		pthread_mutex_lock(&nl_lock);
		if (!copy.fd && p->fd == fd + 1 && p->seq == copy.seq)
			p->fd = 0;
	}
	pthread_mutex_unlock(&nl_lock);
	return rc == -2 ? real.recvmsg(fd, msg, flags) : rc;
}

/** nl_route_recvfrom - recvfrom/recv on a NETLINK_ROUTE socket (nl_route_recvmsg). */
ssize_t nl_route_recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from,
			  socklen_t *fromlen)
{
	struct iovec iov = { buf, len };
	struct msghdr msg = { .msg_name = from, .msg_namelen = from && fromlen ? *fromlen : 0,
			      .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t rc = nl_route_recvmsg(fd, &msg, flags);

	if (rc >= 0 && from && fromlen)
		*fromlen = msg.msg_namelen;
	return rc;
}

/* ---- getifaddrs ------------------------------------------------------------------ */

/* The extra entries of one getifaddrs() answer, freed with it. */
struct ifa_extra {
	struct ifa_extra *next;
	struct ifaddrs *head;
	struct {
		struct ifaddrs ifa;
		struct sockaddr_in addr, mask, brd;
		char name[IF_NAMESIZE];
	} e[SKBOS_IFADDR_MAX];
};
static struct ifa_extra *ifa_extras;

static void ifa_entry(struct ifa_extra *x, int i, const struct inet_dev_addr *a,
		      const struct ifaddrs *link)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };

	memcpy(x->e[i].name, a->name, IF_NAMESIZE);
	x->e[i].ifa.ifa_name = x->e[i].name;
	/* the link's flags as the kernel reports them (IFF_UP, IFF_RUNNING, ...) */
	x->e[i].ifa.ifa_flags = link ? link->ifa_flags : a->flags;
	sin.sin_addr = a->addr;
	x->e[i].addr = sin;
	sin.sin_addr = a->mask;
	x->e[i].mask = sin;
	sin.sin_addr = a->brd;
	x->e[i].brd = sin;
	x->e[i].ifa.ifa_addr = (struct sockaddr *)&x->e[i].addr;
	x->e[i].ifa.ifa_netmask = (struct sockaddr *)&x->e[i].mask;
	if (a->brd.s_addr)
		x->e[i].ifa.ifa_broadaddr = (struct sockaddr *)&x->e[i].brd;
}

static struct ifaddrs *ifa_find_link(struct ifaddrs *head, const char *name)
{
	for (struct ifaddrs *i = head; i; i = i->ifa_next)
		if (i->ifa_addr && i->ifa_addr->sa_family == AF_PACKET && !strcmp(i->ifa_name, name))
			return i;
	return NULL;
}

/* Splice @x's @n entries in after the last AF_INET one (or AF_PACKET), glibc's order. */
static void ifa_splice(struct ifaddrs **head, struct ifa_extra *x, int n)
{
	struct ifaddrs *after = NULL;

	for (struct ifaddrs *i = *head; i; i = i->ifa_next)
		if (i->ifa_addr && (i->ifa_addr->sa_family == AF_INET ||
				    (i->ifa_addr->sa_family == AF_PACKET &&
				     (!after || after->ifa_addr->sa_family == AF_PACKET))))
			after = i;
	for (int i = 0; i < n; i++)
		x->e[i].ifa.ifa_next = i + 1 < n ? &x->e[i + 1].ifa : NULL;
	if (after) {
		x->e[n - 1].ifa.ifa_next = after->ifa_next;
		after->ifa_next = &x->e[0].ifa;
	} else {
		x->e[n - 1].ifa.ifa_next = *head;
		*head = &x->e[0].ifa;
	}
	x->head = *head;
}

SHIM_EXPORT int getifaddrs(struct ifaddrs **ifap)
{
	static int (*real_getifaddrs)(struct ifaddrs **);
	struct inet_dev_addr a[SKBOS_IFADDR_MAX];
	struct ifa_extra *x;
	int n, rc;

	if (!real_getifaddrs)
		*(void **)&real_getifaddrs = dlsym(RTLD_NEXT, "getifaddrs");
	rc = real_getifaddrs(ifap);
	if (rc || !(n = skbos_ifaddrs(a, SKBOS_IFADDR_MAX)))
		return rc;
	x = calloc(1, sizeof(*x));
	if (!x)
		return 0; /* the kernel's answer, without skbos's */
	for (int i = 0; i < n; i++)
		ifa_entry(x, i, &a[i], ifa_find_link(*ifap, a[i].name));
	ifa_splice(ifap, x, n);
	pthread_mutex_lock(&nl_lock);
	x->next = ifa_extras;
	ifa_extras = x;
	pthread_mutex_unlock(&nl_lock);
	return 0;
}

SHIM_EXPORT void freeifaddrs(struct ifaddrs *ifa)
{
	static void (*real_freeifaddrs)(struct ifaddrs *);
	struct ifa_extra **pp, *x = NULL;

	if (!real_freeifaddrs)
		*(void **)&real_freeifaddrs = dlsym(RTLD_NEXT, "freeifaddrs");
	pthread_mutex_lock(&nl_lock);
	for (pp = &ifa_extras; *pp; pp = &(*pp)->next)
		if ((*pp)->head == ifa) {
			x = *pp;
			*pp = x->next;
			break;
		}
	pthread_mutex_unlock(&nl_lock);
	/* the kernel's list starts at its first entry, wherever ours went */
	if (x && ifa == &x->e[0].ifa) {
		ifa = x->e[0].ifa.ifa_next;
		for (int i = 1; i < SKBOS_IFADDR_MAX && ifa == &x->e[i].ifa; i++)
			ifa = x->e[i].ifa.ifa_next;
	}
	if (ifa)
		real_freeifaddrs(ifa);
	free(x);
}

/* ---- getaddrinfo(AI_ADDRCONFIG) --------------------------------------------------- */

/* What glibc's __check_pf would see if the kernel had skbos's address. */
static void addrconfig_seen(bool *v4, bool *v6)
{
	struct ifaddrs *list, *i;

	*v4 = true; /* skbos has a non-loopback IPv4 address (the caller checked) */
	*v6 = false;
	if (getifaddrs(&list))
		return;
	for (i = list; i; i = i->ifa_next)
		if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET6 &&
		    !IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)(void *)i->ifa_addr)->sin6_addr))
			*v6 = true;
	freeifaddrs(list);
}

SHIM_EXPORT int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
			    struct addrinfo **res)
{
	static int (*real_getaddrinfo)(const char *, const char *, const struct addrinfo *,
				       struct addrinfo **);
	struct inet_dev_addr a[SKBOS_IFADDR_MAX];
	struct addrinfo h;
	bool v4, v6;

	if (!real_getaddrinfo)
		*(void **)&real_getaddrinfo = dlsym(RTLD_NEXT, "getaddrinfo");
	if (!hints || !(hints->ai_flags & AI_ADDRCONFIG) || !skbos_ifaddrs(a, SKBOS_IFADDR_MAX))
		return real_getaddrinfo(node, service, hints, res);
	/* glibc 2.36 getaddrinfo: the same decision, with skbos's address seen */
	addrconfig_seen(&v4, &v6);
	h = *hints;
	h.ai_flags &= ~AI_ADDRCONFIG;
	if (h.ai_family == AF_UNSPEC && v4 != v6)
		h.ai_family = v4 ? AF_INET : AF_INET6;
	else if (h.ai_family == AF_INET6 && !v6)
		return EAI_NONAME;
	return real_getaddrinfo(node, service, &h, res);
}
