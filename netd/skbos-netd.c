/*
 * skbos-netd - hands AF_PACKET sockets to programs that run skbos without
 * CAP_NET_RAW (skbos-netd(8)).
 *
 * LD_PRELOAD is ignored for setuid and file-capability binaries, so the
 * privilege cannot live in the application: this small separate process has
 * it (root, or CAP_NET_RAW + CAP_NET_ADMIN as file capabilities), and for a
 * peer its policy allows (netd_policy.c; the peer is SO_PEERCRED, never what
 * it writes) opens the socket, binds it to the interface, puts it in a
 * fanout group of its own (a socket in a fanout group cannot be bound again,
 * so the peer cannot move it to another interface) and passes it over the
 * connection with SCM_RIGHTS (unix(7), packet(7)).
 *
 * It never runs anything for a client, reads at most one fixed-size
 * message per connection, and drops a connection that has not sent it
 * within NETD_CLIENT_TIMEOUT_MS, serving up to NETD_MAX_CLIENTS at once.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "netd_policy.h"
#include "netd_proto.h"

#define NETD_MAX_CLIENTS 64
#define NETD_CLIENT_TIMEOUT_MS 2000
#define NETD_MAX_GROUPS 256
#define NETD_RCVBUF (4 << 20) /* the device's default (afpacket_config) */

struct netd_client {
	int fd;
	long long deadline_ms;
};

static volatile sig_atomic_t netd_stop;
static bool netd_quiet;

static void netd_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void netd_log(const char *fmt, ...)
{
	va_list ap;

	if (netd_quiet)
		return;
	va_start(ap, fmt);
	fputs("skbos-netd: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void on_signal(int sig)
{
	(void)sig;
	netd_stop = 1;
}

/* ---- opening the socket ------------------------------------------------ */

/*
 * The socket the client gets: bound to @ifname for every protocol, and in a
 * fanout group of its own (PACKET_FANOUT_FLAG_UNIQUEID), after which the
 * kernel refuses to bind it again (packet_do_bind: EINVAL with po->fanout).
 * Return: the fd, or -errno with the step that failed in @err.
 */
static int netd_open_packet(const char *ifname, char *err, size_t errlen)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	int rcvbuf = NETD_RCVBUF, fanout, fd, e;
	struct ifreq ifr = { 0 };
	const char *step;

	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		step = "socket(AF_PACKET)";
		goto fail_nofd;
	}
	strcpy(ifr.ifr_name, ifname);
	step = "no such interface";
	if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0)
		goto fail;
	sll.sll_ifindex = ifr.ifr_ifindex;
	step = "bind";
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		goto fail;
	fanout = (PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_UNIQUEID) << 16;
	step = "PACKET_FANOUT";
	if (setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &fanout, sizeof(fanout)) < 0)
		goto fail;
	/* Beyond rmem_max: needs CAP_NET_ADMIN, which the client lacks. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	return fd;
fail:
	e = errno;
	close(fd);
	errno = e;
fail_nofd:
	e = errno;
	snprintf(err, errlen, "cannot open %s: %s: %s", ifname, step, strerror(e));
	return -e;
}

/* ---- one request ------------------------------------------------------- */

static void netd_reply(int fd, int error, int pfd, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void netd_reply(int fd, int error, int pfd, const char *fmt, ...)
{
	struct netd_reply rep = { .magic = NETD_MAGIC, .error = error };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = &rep, .iov_len = sizeof(rep) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rep.msg, sizeof(rep.msg), fmt, ap);
	va_end(ap);
	if (pfd >= 0) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof(ctl));
		msg.msg_control = ctl.buf;
		msg.msg_controllen = sizeof(ctl.buf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &pfd, sizeof(int));
	}
	/* Non-blocking: a client that does not read loses its reply. */
	if (sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)sizeof(rep))
		netd_log("cannot send the reply: %s", strerror(errno));
}

static int netd_peer(int fd, struct ucred *cred, gid_t *gids, int *nr_gids)
{
	socklen_t len = sizeof(*cred);
	socklen_t glen = (socklen_t)(NETD_MAX_GROUPS * sizeof(gid_t));

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cred, &len) < 0 || len != sizeof(*cred))
		return -1;
	gids[0] = cred->gid;
	*nr_gids = 1;
	/* Supplementary groups; too many of them (ERANGE) means only the primary. */
	if (!getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, gids + 1, &glen))
		*nr_gids += (int)(glen / sizeof(gid_t));
	return 0;
}

/*
 * The one message of a connection that became readable: validated field by
 * field, checked against the policy, then answered.  A peer that closed
 * without a message gets nothing.
 */
static void netd_serve(int fd, const struct netd_policy *pol)
{
	gid_t gids[1 + NETD_MAX_GROUPS];
	char buf[sizeof(struct netd_request) + 1], why[120];
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	/* No control buffer: fds a client sends are closed by the kernel. */
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	const struct netd_rule *rule;
	struct netd_request req;
	struct ucred cred;
	int nr_gids, pfd;
	ssize_t n;

	n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n <= 0)
		return;
	if (netd_peer(fd, &cred, gids, &nr_gids)) {
		netd_reply(fd, EPERM, -1, "cannot tell who is asking (SO_PEERCRED)");
		return;
	}
	if (n != (ssize_t)sizeof(req) || (msg.msg_flags & MSG_TRUNC)) {
		netd_log("pid %d uid %u: malformed request (%zd bytes)", cred.pid, cred.uid, n);
		netd_reply(fd, EINVAL, -1, "malformed request (%zd bytes, expected %zu)", n,
			   sizeof(req));
		return;
	}
	memcpy(&req, buf, sizeof(req));
	if (req.magic != NETD_MAGIC || req.version != NETD_VERSION) {
		netd_log("pid %d uid %u: not a request of version %d", cred.pid, cred.uid,
			 NETD_VERSION);
		netd_reply(fd, EPROTO, -1, "not a skbos-netd request of version %d", NETD_VERSION);
		return;
	}
	if (!memchr(req.ifname, '\0', sizeof(req.ifname)) || !netd_valid_ifname(req.ifname)) {
		netd_log("pid %d uid %u: invalid interface name", cred.pid, cred.uid);
		netd_reply(fd, EINVAL, -1, "invalid interface name");
		return;
	}
	rule = netd_policy_find(pol, req.ifname);
	if (!rule) {
		netd_log("pid %d uid %u: %s refused: not in the policy", cred.pid, cred.uid,
			 req.ifname);
		netd_reply(fd, EACCES, -1, "interface %s is not allowed by the policy", req.ifname);
		return;
	}
	if (!netd_rule_allows(rule, cred.uid, gids, nr_gids)) {
		netd_log("pid %d uid %u: %s refused: user not allowed", cred.pid, cred.uid,
			 req.ifname);
		netd_reply(fd, EPERM, -1, "user %u is not allowed to use %s", cred.uid,
			   req.ifname);
		return;
	}
	pfd = netd_open_packet(req.ifname, why, sizeof(why));
	if (pfd < 0) {
		netd_log("pid %d uid %u: %s", cred.pid, cred.uid, why);
		netd_reply(fd, -pfd, -1, "%s", why);
		return;
	}
	netd_log("pid %d uid %u: %s granted", cred.pid, cred.uid, req.ifname);
	netd_reply(fd, 0, pfd, "%s", "");
	close(pfd);
}

/* ---- the listening socket and the loop ----------------------------------- */

static int netd_listen(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, probe;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "skbos-netd: --socket %s: the path is too long\n", path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	if (!strcmp(path, NETD_SOCKET_DEFAULT))
		mkdir("/run/skbos", 0755);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		goto fail;
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		if (errno != EADDRINUSE)
			goto fail;
		/* A name left by a helper that died, or one still serving? */
		probe = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
		if (probe >= 0 && !connect(probe, (struct sockaddr *)&sun, sizeof(sun))) {
			close(probe);
			fprintf(stderr, "skbos-netd: %s: another skbos-netd is running\n", path);
			close(fd);
			return -1;
		}
		if (probe >= 0)
			close(probe);
		unlink(path);
		if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
			goto fail;
	}
	/* Anyone may ask; the policy decides (SO_PEERCRED). */
	if (chmod(path, 0666) < 0 || listen(fd, 128) < 0)
		goto fail;
	return fd;
fail:
	fprintf(stderr, "skbos-netd: %s: %s\n", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

static void netd_accept(int lfd, struct netd_client *cl, int *nr)
{
	while (*nr < NETD_MAX_CLIENTS) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0)
			return;
		cl[*nr].fd = fd;
		cl[*nr].deadline_ms = now_ms() + NETD_CLIENT_TIMEOUT_MS;
		(*nr)++;
	}
}

static int netd_loop(int lfd, const struct netd_policy *pol)
{
	struct netd_client cl[NETD_MAX_CLIENTS];
	struct pollfd pfd[NETD_MAX_CLIENTS + 1];
	int nr = 0;

	while (!netd_stop) {
		long long now = now_ms(), wait = NETD_CLIENT_TIMEOUT_MS;
		/* At NETD_MAX_CLIENTS, new ones wait in the listen backlog. */
		int base = nr < NETD_MAX_CLIENTS, j = 0;

		pfd[0] = (struct pollfd){ .fd = lfd, .events = POLLIN };
		for (int i = 0; i < nr; i++) {
			pfd[base + i] = (struct pollfd){ .fd = cl[i].fd, .events = POLLIN };
			if (cl[i].deadline_ms - now < wait)
				wait = cl[i].deadline_ms - now;
		}
		if (poll(pfd, (nfds_t)(base + nr), wait < 0 ? 0 : (int)wait) < 0) {
			if (errno == EINTR)
				continue;
			perror("skbos-netd: poll");
			return 1;
		}
		now = now_ms();
		/* Each connection carries one request: served, or timed out, it ends. */
		for (int i = 0; i < nr; i++) {
			short re = pfd[base + i].revents;

			if (re & POLLIN)
				netd_serve(cl[i].fd, pol);
			if (re || cl[i].deadline_ms <= now) {
				close(cl[i].fd);
				continue;
			}
			cl[j++] = cl[i];
		}
		nr = j;
		if (base && pfd[0].revents)
			netd_accept(lfd, cl, &nr);
	}
	for (int i = 0; i < nr; i++)
		close(cl[i].fd);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: skbos-netd [--config FILE] [--allow IF=WHO[,WHO...]]... [--socket PATH]\n"
		   "                  [--quiet] [--check]\n"
		   "Hand AF_PACKET sockets to skbos programs without CAP_NET_RAW, as the policy\n"
		   "allows (WHO: user, uid, @group, @gid or *).  Default config %s\n"
		   "(read only when no --allow is given), socket %s.\n",
		"/etc/skbos/netd.conf", NETD_SOCKET_DEFAULT);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "allow", required_argument, NULL, 'a' },
		{ "socket", required_argument, NULL, 's' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "check", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static struct netd_policy pol;
	const char *config = NULL, *path = NETD_SOCKET_DEFAULT;
	struct sigaction sa = { .sa_handler = on_signal };
	bool check = false, allowed = false;
	char err[512];
	int c, lfd, rc;

	while ((c = getopt_long(argc, argv, "c:a:s:qnhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'a':
			if (netd_policy_add(&pol, optarg, err, sizeof(err))) {
				fprintf(stderr, "skbos-netd: --allow %s: %s\n", optarg, err);
				return 1;
			}
			allowed = true;
			break;
		case 's': path = optarg; break;
		case 'q': netd_quiet = true; break;
		case 'n': check = true; break;
		case 'h': usage(stdout); return 0;
		case 'V': puts("skbos-netd (skbos) " PACKAGE_VERSION); return 0;
		default: usage(stderr); return 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "skbos-netd: unexpected argument %s (see --help)\n", argv[optind]);
		return 1;
	}
	if ((config || !allowed) &&
	    netd_policy_load(&pol, config ? config : "/etc/skbos/netd.conf", err, sizeof(err))) {
		fprintf(stderr, "skbos-netd: %s\n", err);
		return 1;
	}
	if (!pol.nr_rules) {
		fprintf(stderr, "skbos-netd: the policy allows no interface\n");
		return 1;
	}
	if (check) {
		for (unsigned int i = 0; i < pol.nr_rules; i++)
			printf("%s: %u users/groups\n", pol.rules[i].ifname, pol.rules[i].nr_who);
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	lfd = netd_listen(path);
	if (lfd < 0)
		return 1;
	netd_log("listening on %s (%u interfaces)", path, pol.nr_rules);
	rc = netd_loop(lfd, &pol);
	close(lfd);
	unlink(path);
	return rc;
}
