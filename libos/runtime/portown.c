/*
 * portown.c - the port-ownership table of one interface address, shared by
 * every skbos process on it (portown.h, portshare.h; DESIGN.md "fork/exec
 * and many processes").
 *
 *   bind/connect -> tcp_get_port/udp_get_port -> stack_port_claim -> po_claim
 *	(the table says who owns each TCP and UDP port; a port another live
 *	process owns is EADDRINUSE, as a port taken in one kernel stack is)
 *   no socket wants a segment -> stack_may_answer -> po_mine/po_foreign
 *   the stack's timer -> portown_tick (take over as default responder,
 *	recover the ports of processes that died, refresh the packet filter)
 *
 * The table is a file per (network namespace, ifindex, address) in skbos's
 * run directory, mapped MAP_SHARED.  Liveness is by open-file-description
 * locks (fcntl(2) F_OFD_SETLK), which the kernel drops when the last fd of
 * the description closes, so a process killed with SIGKILL gives up its slot
 * and its responder role without running any code:
 *   byte 0: the table lock (held while a slot or port entry changes)
 *   byte 1: the default responder (exactly one holder: it answers ARP and
 *	   ping, and RST / port unreachable for ports nobody owns)
 *   byte 2+i: slot i is alive
 * A stale entry (its slot's lock is free) counts as free everywhere; the
 * next process that takes the slot, or the responder's tick, clears it.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "log.h"
#include "portown.h"

#define PO_MAGIC 0x6f706b73u /* "skpo" */
#define PO_VERSION 4 /* 4: the SYN hash of host-order values (the filter computes it) */
#define PO_LOCK_TABLE 0
#define PO_LOCK_RESPONDER 1
#define PO_LOCK_SLOT0 2
#define PO_NPORTS 65536
#define PO_GROUP 255 /* owner value: a listener group (struct po_group) */
#define PO_GROUPS 64

/* CONN: holds connections taken over from a member (fork), gets no SYN. */
enum { PO_MEMBER_NONE, PO_MEMBER_CONN, PO_MEMBER_DORMANT, PO_MEMBER_ACTIVE };

/*
 * A TCP listener shared by processes (a prefork server's parent and the
 * children that inherited it): each new SYN goes to one active member.
 * A parent goes dormant at fork (nginx's master never accepts) and is
 * active again at its next accept or wait on the listener.
 */
struct po_group {
	u16 port; /* 0: free */
	u8 state[PORTOWN_SLOTS]; /* PO_MEMBER_* by slot */
};

struct po_slot {
	s32 pid;
	char comm[16];
};

struct po_file {
	u32 magic;
	u32 version;
	u32 gen; /* bumped on every change of a slot or port */
	u32 responder_pid;
	struct po_slot slot[PORTOWN_SLOTS];
	struct po_group group[PO_GROUPS];
	u8 owner[2][PO_NPORTS]; /* 0: nobody, PO_GROUP, else slot + 1 */
};

struct portown {
	int fd;
	struct po_file *f;
	u8 self; /* our owner value: slot + 1 */
	bool responder;
	bool dirty; /* a port was given back since the filter was built */
	u32 seen_gen;
	u16 (*cnt)[PO_NPORTS]; /* our sockets per (proto, port) */
	u8 (*view)[PO_NPORTS];  /* owner[] with groups resolved, for the filter */
	int dormant;            /* our dormant group memberships */
	struct port_share share;
	void (*notify)(void *arg);
	void *notify_arg;
	int log_level; /* the instance's (log.h) */
	int nsteer; /* the groups the filter steers, as it was built */
	struct {
		u16 port;
		u8 n;
		s16 k;
		bool all;
	} steer[PORTOWN_STEER_MAX];
	char path[256];
};

static int po_proto(int proto)
{
	return proto == IPPROTO_UDP;
}

static int po_lock(int fd, short type, off_t byte, bool wait)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = byte, .l_len = 1 };

	while (fcntl(fd, wait ? F_OFD_SETLKW : F_OFD_SETLK, &fl)) {
		if (errno != EINTR)
			return -errno;
	}
	return 0;
}

static void po_table_lock(struct portown *po)
{
	if (po_lock(po->fd, F_WRLCK, PO_LOCK_TABLE, true))
		skb_log_at(po->log_level, LOG_WARN, "portown: cannot lock the table: %s", strerror(errno));
}

static void po_table_unlock(struct portown *po)
{
	po_lock(po->fd, F_UNLCK, PO_LOCK_TABLE, false);
}

/* Is slot @i held by a live process (its lock byte taken)? */
static bool po_slot_alive(const struct portown *po, int i)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
			    .l_start = PO_LOCK_SLOT0 + i, .l_len = 1 };

	if (i + 1 == po->self)
		return true;
	if (fcntl(po->fd, F_OFD_GETLK, &fl))
		return false;
	return fl.l_type != F_UNLCK;
}

static struct po_group *po_group_find(struct portown *po, u16 port)
{
	for (int g = 0; g < PO_GROUPS; g++)
		if (po->f->group[g].port == port)
			return &po->f->group[g];
	return NULL;
}

/* Live members of @g in slot order (table lock not needed: a snapshot). */
static int po_group_members(const struct portown *po, const struct po_group *g, u8 state,
			    u8 *out)
{
	int n = 0;

	for (int i = 0; i < PORTOWN_SLOTS; i++)
		if (g->state[i] >= state && po_slot_alive(po, i))
			out[n++] = (u8)i;
	return n;
}

/* Owner value @v leaves @g; the last live member frees it (table locked). */
static void po_group_leave(struct portown *po, struct po_group *g, u8 v)
{
	u8 m[PORTOWN_SLOTS];

	g->state[v - 1] = PO_MEMBER_NONE;
	if (po_group_members(po, g, PO_MEMBER_CONN, m))
		return;
	po->f->owner[0][g->port] = 0;
	memset(g, 0, sizeof(*g));
}

/* Clear every port of owner value @v (table locked). */
static void po_clear_owner(struct portown *po, u8 v)
{
	for (int p = 0; p < 2; p++)
		for (int port = 0; port < PO_NPORTS; port++)
			if (po->f->owner[p][port] == v)
				po->f->owner[p][port] = 0;
	for (int g = 0; g < PO_GROUPS; g++)
		if (po->f->group[g].port)
			po_group_leave(po, &po->f->group[g], v);
	po->f->slot[v - 1].pid = 0;
	po->f->gen++;
}

/* ---- the port_share_ops the core calls (stack lock held) -------------------- */

static bool po_foreign(void *priv, int proto, u16 port)
{
	struct portown *po = priv;
	u8 o = po->f->owner[po_proto(proto)][port];
	struct po_group *g;
	u8 m[PORTOWN_SLOTS];
	int n;

	if (o != PO_GROUP || proto != IPPROTO_TCP)
		return o && o != po->self && po_slot_alive(po, o - 1);
	g = po_group_find(po, port);
	n = g ? po_group_members(po, g, PO_MEMBER_CONN, m) : 0;
	return n > 1 || (n == 1 && m[0] + 1 != po->self);
}

static bool po_shared(void *priv, int proto, u16 port)
{
	struct portown *po = priv;
	struct po_group *g;
	u8 m[PORTOWN_SLOTS];

	if (proto != IPPROTO_TCP || po->f->owner[0][port] != PO_GROUP)
		return false;
	g = po_group_find(po, port);
	return g && po_group_members(po, g, PO_MEMBER_CONN, m) > 1;
}

/* The listener of TCP @port is a group from now on, this process a member. */
static void po_listen(void *priv, u16 port)
{
	struct portown *po = priv;
	u8 *o = &po->f->owner[0][port];
	struct po_group *g = NULL;

	po_table_lock(po);
	if (*o == po->self) {
		g = po_group_find(po, 0); /* a free one */
		if (g) {
			g->port = port;
			*o = PO_GROUP;
		}
	} else if (*o == PO_GROUP) {
		g = po_group_find(po, port);
	}
	if (g) {
		if (g->state[po->self - 1] == PO_MEMBER_DORMANT)
			po->dormant--;
		g->state[po->self - 1] = PO_MEMBER_ACTIVE;
		po->f->gen++;
	}
	po_table_unlock(po);
}

/* An inherited listener re-made here: a member of its group before the bind. */
static void po_join(void *priv, u16 port)
{
	struct portown *po = priv;
	struct po_group *g;

	po_table_lock(po);
	g = po->f->owner[0][port] == PO_GROUP ? po_group_find(po, port) : NULL;
	if (g) {
		g->state[po->self - 1] = PO_MEMBER_ACTIVE;
		po->f->gen++;
	}
	po_table_unlock(po);
}

static void po_interest(void *priv, u16 port)
{
	struct portown *po = priv;
	struct po_group *g;

	if (!po->dormant || po->f->owner[0][port] != PO_GROUP)
		return;
	g = po_group_find(po, port);
	if (!g || g->state[po->self - 1] != PO_MEMBER_DORMANT)
		return;
	po_table_lock(po);
	g->state[po->self - 1] = PO_MEMBER_ACTIVE;
	po->dormant--;
	po->f->gen++;
	po_table_unlock(po);
}

static void po_notify(struct portown *po);

/**
 * portown_hash - which member of a listener group a remote end belongs to,
 * the same on every member and in the packet filter (afpacket_steer.c
 * computes it in classic BPF, which loads header fields in host order):
 * murmur3's finaliser over the address and port.
 */
u32 portown_hash(__be32 saddr, __be16 sport)
{
	u32 x = ntohl(saddr) ^ ((u32)ntohs(sport) * 0x9e3779b1u);

	x ^= x >> 16;
	x *= 0x85ebca6bu;
	x ^= x >> 13;
	x *= 0xc2b2ae35u;
	return x ^ (x >> 16);
}

/*
 * The members a group's new connections go to: the live active ones; with
 * none active (a parent dormant since its fork, no child joined yet), the
 * live dormant ones, so a lone server that forked a helper loses nothing.
 */
static int po_group_pickers(const struct portown *po, const struct po_group *g, u8 *m)
{
	int n = po_group_members(po, g, PO_MEMBER_ACTIVE, m);

	return n ? n : po_group_members(po, g, PO_MEMBER_DORMANT, m);
}

/* Which member takes a new SYN: one of the pickers by the hash. */
static bool po_syn_mine(void *priv, u16 port, __be32 saddr, __be16 sport)
{
	struct portown *po = priv;
	struct po_group *g;
	u8 m[PORTOWN_SLOTS];
	int n;

	if (po->f->owner[0][port] != PO_GROUP || !(g = po_group_find(po, port)))
		return true;
	n = po_group_pickers(po, g, m);
	return !n || m[portown_hash(saddr, sport) % (u32)n] + 1 == po->self;
}

/*
 * A connection of ours is in the established table: if the filter steers
 * its port and its hash picks another member under the filter's member set
 * (the set changed since the filter was built), rebuild the filter now,
 * before the peer's next segment: the rebuild lists it (portown_view_conn).
 */
static void po_conn_hashed(void *priv, u16 port, __be32 saddr, __be16 sport)
{
	struct portown *po = priv;

	for (int i = 0; i < po->nsteer; i++) {
		if (po->steer[i].port != port)
			continue;
		if (!po->steer[i].all &&
		    (s16)(portown_hash(saddr, sport) % po->steer[i].n) != po->steer[i].k) {
			po->dirty = true;
			po_notify(po);
		}
		return;
	}
}

static bool po_mine(void *priv, int proto, u16 port)
{
	struct portown *po = priv;

	return po->cnt[po_proto(proto)][port] > 0;
}

static void po_notify(struct portown *po)
{
	if (po->notify)
		po->notify(po->notify_arg);
}

static int po_claim(void *priv, int proto, u16 port)
{
	struct portown *po = priv;
	u16 *c = &po->cnt[po_proto(proto)][port];
	u8 *o = &po->f->owner[po_proto(proto)][port];

	if (*c) {
		(*c)++;
		return 0;
	}
	po_table_lock(po);
	if (*o == PO_GROUP && proto == IPPROTO_TCP) {
		struct po_group *g = po_group_find(po, port);
		u8 m[PORTOWN_SLOTS];

		if (g && g->state[po->self - 1]) {
			po_table_unlock(po); /* a member (join) binds the group's port */
			*c = 1;
			if (!po->responder)
				po_notify(po);
			return 0;
		}
		if (g && po_group_members(po, g, PO_MEMBER_CONN, m)) {
			po_table_unlock(po);
			return -EADDRINUSE;
		}
		if (g)
			memset(g, 0, sizeof(*g)); /* every member is dead */
	} else if (*o && *o != po->self && po_slot_alive(po, *o - 1)) {
		po_table_unlock(po);
		return -EADDRINUSE;
	}
	*o = po->self;
	po->f->gen++;
	po_table_unlock(po);
	*c = 1;
	/* An ordinary process sees only its own ports: let them in before the
	 * bind (or the SYN) returns.  The responder sees every port already. */
	if (!po->responder)
		po_notify(po);
	return 0;
}

static void po_release(void *priv, int proto, u16 port)
{
	struct portown *po = priv;
	u16 *c = &po->cnt[po_proto(proto)][port];
	u8 *o = &po->f->owner[po_proto(proto)][port];

	if (!*c || --(*c))
		return;
	po_table_lock(po);
	if (*o == PO_GROUP && proto == IPPROTO_TCP) {
		struct po_group *g = po_group_find(po, port);

		if (g && g->state[po->self - 1] == PO_MEMBER_DORMANT)
			po->dormant--;
		if (g)
			po_group_leave(po, g, po->self);
		po->f->gen++;
	} else if (*o == po->self) {
		*o = 0;
		po->f->gen++;
	}
	po_table_unlock(po);
	/* The filter may go on letting the port in until the next tick: the
	 * stack drops what no socket wants without answering (portshare.h). */
	po->dirty = true;
}

static bool po_conn_join(void *priv, u16 port)
{
	struct portown *po = priv;
	struct po_group *g;

	po_table_lock(po);
	g = po->f->owner[0][port] == PO_GROUP ? po_group_find(po, port) : NULL;
	if (g && g->state[po->self - 1] == PO_MEMBER_NONE) {
		g->state[po->self - 1] = PO_MEMBER_CONN;
		po->f->gen++;
	}
	po_table_unlock(po);
	if (g && !po->responder)
		po_notify(po);
	return g != NULL;
}

static void po_give(void *priv, int proto, u16 port, int to)
{
	struct portown *po = priv;
	u8 *o = &po->f->owner[po_proto(proto)][port];

	if (to < 0 || to >= PORTOWN_SLOTS)
		return;
	po_table_lock(po);
	if (*o == po->self) {
		*o = (u8)(to + 1);
		po->f->gen++;
	}
	po_table_unlock(po);
	po->dirty = true;
}

static int po_self(void *priv)
{
	const struct portown *po = priv;

	return po->self - 1;
}

static bool po_responder(void *priv)
{
	const struct portown *po = priv;

	return po->responder;
}

static const struct port_share_ops po_ops = {
	.claim = po_claim,
	.release = po_release,
	.foreign = po_foreign,
	.mine = po_mine,
	.responder = po_responder,
	.listen = po_listen,
	.join = po_join,
	.interest = po_interest,
	.syn_mine = po_syn_mine,
	.shared = po_shared,
	.conn_join = po_conn_join,
	.give = po_give,
	.self = po_self,
	.conn_hashed = po_conn_hashed,
};

/* ---- opening, the tick, closing -------------------------------------------- */

static int po_netns_ino(unsigned long *ino)
{
	struct stat sb;

	if (stat("/proc/self/ns/net", &sb))
		return -errno;
	*ino = (unsigned long)sb.st_ino;
	return 0;
}

/*
 * A table of another version that no live process holds (its file left by
 * processes of an older skbos, in a network namespace whose inode number
 * ours now has): made anew, as a stale table of our version is recovered.
 * One a live process holds stays EPROTO: the two would misread each other.
 */
static void po_reset_if_stale(struct portown *po)
{
	struct flock all = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = PO_LOCK_SLOT0,
			     .l_len = PORTOWN_SLOTS };
	u32 head[2];

	if (pread(po->fd, head, sizeof(head), 0) != (ssize_t)sizeof(head) || !head[0] ||
	    (head[0] == PO_MAGIC && head[1] == PO_VERSION))
		return;
	if (!fcntl(po->fd, F_OFD_GETLK, &all) && all.l_type == F_UNLCK && ftruncate(po->fd, 0))
		skb_log_at(po->log_level, LOG_WARN, "portown: cannot reset a stale table: %s", strerror(errno));
}

/* Map the file, making it the first time (table locked). */
static int po_map(struct portown *po)
{
	struct stat sb;
	void *m;

	po_reset_if_stale(po);
	if (fstat(po->fd, &sb))
		return -errno;
	if ((size_t)sb.st_size < sizeof(struct po_file) && ftruncate(po->fd, sizeof(struct po_file)))
		return -errno;
	m = mmap(NULL, sizeof(struct po_file), PROT_READ | PROT_WRITE, MAP_SHARED, po->fd, 0);
	if (m == MAP_FAILED)
		return -errno;
	po->f = m;
	if (po->f->magic == 0) {
		po->f->magic = PO_MAGIC;
		po->f->version = PO_VERSION;
	}
	return po->f->magic == PO_MAGIC && po->f->version == PO_VERSION ? 0 : -EPROTO;
}

/* The name of the file @fd has open. */
static int po_fd_path(int fd, char *buf, size_t len)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, len - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

/* Is our fd still the file at our path (not unlinked by a last leaver)? */
static bool po_is_current(const struct portown *po)
{
	struct stat a, b;

	return !fstat(po->fd, &a) && !stat(po->path, &b) && a.st_ino == b.st_ino &&
	       a.st_dev == b.st_dev;
}

/*
 * Leaving (table locked): with no other live process the file goes, so
 * that run directories do not fill with the tables of namespaces long gone.
 */
static void po_unlink_if_last(struct portown *po)
{
	for (int i = 0; i < PORTOWN_SLOTS; i++)
		if (i + 1 != po->self && po->f->slot[i].pid && po_slot_alive(po, i))
			return;
	if (po_is_current(po))
		unlink(po->path);
}

/*
 * Tables in @dir left by processes that all died by a signal (nobody ran
 * po_unlink_if_last): removed when no slot lock is held, under the table
 * lock, so a process that has one open but no slot yet finds it gone
 * (po_is_current) and opens a new one.
 */
static void po_sweep_dir(const char *dir, const char *keep)
{
	struct flock all = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = PO_LOCK_SLOT0,
			     .l_len = PORTOWN_SLOTS };
	struct dirent *de;
	DIR *d = opendir(dir);
	char path[256];

	while (d && (de = readdir(d))) {
		struct portown tmp = { .path = "" };
		int fd;

		if (strncmp(de->d_name, "ports-", 6) ||
		    snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= (int)sizeof(path))
			continue;
		if (!strcmp(path, keep) || (fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW)) < 0)
			continue;
		tmp.fd = fd;
		memcpy(tmp.path, path, sizeof(tmp.path));
		if (!po_lock(fd, F_WRLCK, PO_LOCK_TABLE, false)) {
			if (!fcntl(fd, F_OFD_SETLK, &all) && po_is_current(&tmp))
				unlink(path);
		}
		close(fd); /* (every lock of this description goes with it) */
	}
	if (d)
		closedir(d);
}

/* The process's name as /proc/PID/comm has it (argv[0] may be rewritten). */
static void po_comm(char *buf, size_t len)
{
	int fd = open("/proc/self/comm", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, len - 1) : -1;

	if (fd >= 0)
		close(fd);
	n = n > 0 ? n : 0;
	buf[n] = '\0';
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
}

/* Take the first slot whose lock is free; clear what a dead holder left. */
static int po_take_slot(struct portown *po)
{
	for (int i = 0; i < PORTOWN_SLOTS; i++) {
		if (po_lock(po->fd, F_WRLCK, PO_LOCK_SLOT0 + i, false))
			continue;
		po->self = (u8)(i + 1);
		po_clear_owner(po, po->self);
		po->f->slot[i].pid = getpid();
		po_comm(po->f->slot[i].comm, sizeof(po->f->slot[i].comm));
		return 0;
	}
	return -EUSERS;
}

static void po_try_responder(struct portown *po)
{
	if (po->responder || po_lock(po->fd, F_WRLCK, PO_LOCK_RESPONDER, false))
		return;
	po->responder = true;
	po->f->responder_pid = getpid();
	skb_log_at(po->log_level, LOG_INFO, "portown: pid %d is the default responder", (int)getpid());
}

/**
 * portown_path - the table's file name for (this netns, @ifindex, @addr)
 * under @dir.  Return: 0 or -errno.
 */
static int portown_path(char *buf, size_t len, const char *dir, int ifindex, __be32 addr)
{
	char a[INET_ADDRSTRLEN];
	unsigned long ino = 0;
	int rc = po_netns_ino(&ino);

	if (rc)
		return rc;
	inet_ntop(AF_INET, &addr, a, sizeof(a));
	snprintf(buf, len, "%s/ports-%lu-%d-%s", dir, ino, ifindex, a);
	return 0;
}

/**
 * portown_open - join the table of @addr on kernel interface @ifindex (in
 * this network namespace), kept in @dir: take a slot, recover a dead
 * holder's entries, become the default responder if there is none.
 * Return: the table, or ERR_PTR(-errno) with one line in @err.
 */
struct portown *portown_open(const char *dir, int ifindex, __be32 addr, int fd, int log_level,
			     char *err, size_t errlen)
{
	struct portown *po = kzalloc(NULL, sizeof(*po));
	char *path;
	int rc = -ENOMEM;

	snprintf(err, errlen, "out of memory");
	if (!po)
		return ERR_PTR(-ENOMEM);
	po->fd = -1;
	po->log_level = log_level;
	path = po->path;
	po->cnt = kzalloc(NULL, 2 * sizeof(*po->cnt));
	po->view = kzalloc(NULL, 2 * sizeof(*po->view));
	if (!po->cnt || !po->view)
		goto fail;
	rc = portown_path(path, sizeof(po->path), dir, ifindex, addr);
	/* A table opened earlier (a forked child, before it setuid) is where the
	 * parent's is, whatever directory this process could use now. */
	if (!rc && fd >= 0)
		rc = po_fd_path(fd, path, sizeof(po->path));
	else if (!rc)
		po_sweep_dir(dir, path);
	if (!rc) {
		po->fd = fd >= 0 ? fd : open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		rc = po->fd < 0 ? -errno : 0;
	}
	if (rc) {
		snprintf(err, errlen, "cannot open the port table %s: %s", path, strerror(-rc));
		goto fail;
	}
	po_table_lock(po);
	/* The last process to leave removes the file (po_unlink_if_last): if
	 * that happened since our open, open the new one.  (A table opened by
	 * a forked child was its parent's, alive then.) */
	for (int tries = 0; fd < 0 && !po_is_current(po) && tries < 8; tries++) {
		po_table_unlock(po);
		close(po->fd);
		po->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (po->fd < 0) {
			rc = -errno;
			snprintf(err, errlen, "cannot open the port table %s: %s", path, strerror(-rc));
			goto fail;
		}
		po_table_lock(po);
	}
	rc = po_map(po);
	if (!rc)
		rc = po_take_slot(po);
	po_table_unlock(po);
	if (rc) {
		snprintf(err, errlen, "port table %s: %s", path,
			 rc == -EUSERS ? "every slot is taken" : strerror(-rc));
		goto fail;
	}
	po_try_responder(po);
	po->share.ops = &po_ops;
	po->share.priv = po;
	return po;
fail:
	portown_close(po);
	return ERR_PTR(rc);
}

void portown_set_notify(struct portown *po, void (*fn)(void *arg), void *arg)
{
	po->notify = fn;
	po->notify_arg = arg;
}

const struct port_share *portown_share(struct portown *po)
{
	return &po->share;
}

bool portown_is_responder(const struct portown *po)
{
	return po->responder;
}

/**
 * portown_view - the table as a packet filter sees it (portown.h); the
 * filter built from it is now up to date.
 */
/*
 * Steer group @gr's flows (portown.h): with two or more members picking,
 * this process sees its share of them; a connection-only member (it took
 * over inherited connections) is not a picker and sees its own only.
 */
static void po_view_steer(struct portown *po, struct portown_view *v, const struct po_group *gr)
{
	u8 m[PORTOWN_SLOTS];
	int n = po_group_pickers(po, gr, m), i = po->nsteer;

	if (i == PORTOWN_STEER_MAX || (n < 2 && gr->state[po->self - 1] != PO_MEMBER_CONN) || !n)
		return; /* the whole port, as without steering */
	v->steer[i] = (struct portown_steer){ .port = gr->port, .n = (u8)n, .k = -1 };
	for (int j = 0; j < n; j++)
		if (m[j] + 1 == po->self)
			v->steer[i].k = (s16)j;
	po->steer[i].port = gr->port;
	po->steer[i].n = (u8)n;
	po->steer[i].k = v->steer[i].k;
	po->steer[i].all = false;
	v->nsteer = po->nsteer = i + 1;
}

/**
 * portown_view_conn - a connection of ours on local TCP @port from
 * @saddr:@sport, while the filter of @v is being built: listed if the
 * steering hash gives it to another member (portown.h).
 */
void portown_view_conn(struct portown *po, struct portown_view *v, u16 port, __be32 saddr,
		       __be16 sport)
{
	for (int i = 0; i < v->nsteer; i++) {
		struct portown_steer *s = &v->steer[i];

		if (s->port != port)
			continue;
		if (s->all || (s16)(portown_hash(saddr, sport) % s->n) == s->k)
			return;
		if (s->nexc == PORTOWN_STEER_EXC) {
			s->all = true;
			po->steer[i].all = true;
			return;
		}
		s->exc[s->nexc].saddr = saddr;
		s->exc[s->nexc++].sport = sport;
		return;
	}
}

void portown_view(struct portown *po, struct portown_view *v)
{
	memset(v, 0, sizeof(*v));
	memcpy(po->view, po->f->owner, sizeof(po->f->owner));
	/* A group's port is ours to see while we are a member, dormant or not
	 * (our connections on it); the others' otherwise. */
	po->nsteer = 0;
	for (int g = 0; g < PO_GROUPS; g++) {
		const struct po_group *gr = &po->f->group[g];

		if (gr->port && po->view[0][gr->port] == PO_GROUP && gr->state[po->self - 1]) {
			po->view[0][gr->port] = po->self;
			po_view_steer(po, v, gr);
		}
	}
	v->owner[0] = po->view[0];
	v->owner[1] = po->view[1];
	v->responder = po->responder;
	v->sel[PO_GROUP] = po->responder;
	for (int i = 0; i < PORTOWN_SLOTS; i++)
		v->sel[i + 1] = po->responder ? (i + 1 != po->self && po->f->slot[i].pid &&
						 po_slot_alive(po, i))
					      : i + 1 == po->self;
	po->seen_gen = __atomic_load_n(&po->f->gen, __ATOMIC_ACQUIRE);
	po->dirty = false;
}

/* The responder gives back the ports of processes that died. */
static void po_sweep(struct portown *po)
{
	for (int i = 0; i < PORTOWN_SLOTS; i++) {
		if (!po->f->slot[i].pid || po_slot_alive(po, i))
			continue;
		po_table_lock(po);
		if (po->f->slot[i].pid && !po_slot_alive(po, i))
			po_clear_owner(po, (u8)(i + 1));
		po_table_unlock(po);
	}
}

/* Are we a member of a listener group (its filter then steers)? */
static bool po_in_group(const struct portown *po)
{
	for (int g = 0; g < PO_GROUPS; g++)
		if (po->f->group[g].port && po->f->group[g].state[po->self - 1])
			return true;
	return false;
}

/**
 * portown_tick - periodic (the stack's timer, a few times a second): take
 * the responder role if its holder is gone, recover dead processes' ports,
 * and have the filter rebuilt when what it depends on changed.
 */
void portown_tick(struct portown *po)
{
	bool was = po->responder;

	po_try_responder(po);
	if (po->responder)
		po_sweep(po);
	/* the responder's filter lists the others' ports, a group member's the
	 * group's members: both follow every change of the table */
	if (po->responder != was || po->dirty ||
	    ((po->responder || po_in_group(po)) && __atomic_load_n(&po->f->gen, __ATOMIC_ACQUIRE) != po->seen_gen))
		po_notify(po);
}

/**
 * portown_close - leave the table: every port of ours is free again, the
 * slot and (if held) the responder role go with the fd.
 */
void portown_close(struct portown *po)
{
	if (IS_ERR_OR_NULL(po))
		return;
	if (po->f && po->self) {
		po_table_lock(po);
		po_clear_owner(po, po->self);
		po_unlink_if_last(po);
		po_table_unlock(po);
	}
	if (po->f)
		munmap(po->f, sizeof(*po->f));
	if (po->fd >= 0)
		close(po->fd);
	kfree(NULL, po->cnt);
	kfree(NULL, po->view);
	kfree(NULL, po);
}

/**
 * portown_fork_parent - the parent of a fork: its listener memberships go
 * dormant until it accepts or waits on them again (a prefork master never
 * does; its children that take the listener up get the new connections).
 */
void portown_fork_parent(struct portown *po)
{
	bool changed = false;

	if (IS_ERR_OR_NULL(po))
		return;
	po_table_lock(po);
	for (int g = 0; g < PO_GROUPS; g++) {
		struct po_group *gr = &po->f->group[g];

		if (gr->port && gr->state[po->self - 1] == PO_MEMBER_ACTIVE) {
			gr->state[po->self - 1] = PO_MEMBER_DORMANT;
			po->dormant++;
			changed = true;
		}
	}
	if (changed)
		po->f->gen++;
	po_table_unlock(po);
}

/** portown_dormant - are any of our listener memberships dormant? */
bool portown_dormant(const struct portown *po)
{
	return !IS_ERR_OR_NULL(po) && po->dormant > 0;
}

/**
 * portown_leave - the process is ending: free its ports and give up the
 * responder role now (another process takes it at its next tick); the
 * slot goes when the process does.
 */
void portown_leave(struct portown *po)
{
	po_table_lock(po);
	po_clear_owner(po, po->self);
	po_unlink_if_last(po);
	po_table_unlock(po);
	memset(po->cnt, 0, 2 * sizeof(*po->cnt));
	po->dormant = 0;
	if (po->responder) {
		po->responder = false;
		po_lock(po->fd, F_UNLCK, PO_LOCK_RESPONDER, false);
	}
}

/** portown_dir - the directory the table is in, into @buf. */
void portown_dir(const struct portown *po, char *buf, size_t len)
{
	const char *slash = strrchr(po->path, '/');
	size_t n = slash ? (size_t)(slash - po->path) : 0;

	if (n >= len)
		n = 0;
	memcpy(buf, po->path, n);
	buf[n] = '\0';
}

/**
 * portown_reopen - a new open file description of the table (a forked
 * child's own, for its own locks).  Return: the fd, or -errno.
 */
int portown_reopen(const struct portown *po)
{
	int fd = open(po->path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);

	return fd < 0 ? -errno : fd;
}

/**
 * portown_forget_after_fork - in a child of fork: the inherited fd shares
 * the parent's open file description, hence its locks, so it is only
 * closed (an unlock through it would free the parent's slot).  The memory
 * is the child's copy and is left as it is.
 */
void portown_forget_after_fork(struct portown *po)
{
	if (!IS_ERR_OR_NULL(po) && po->fd >= 0)
		close(po->fd);
}

/**
 * portown_report - the processes and ports of @addr's table, for
 * skbos-stat: one line per live process, "PID COMM [responder]
 * tcp:PORT,... udp:PORT,... group:PORT/active|dormant|conn,...".
 * Return: 0, or -errno (no table).
 */
int portown_report(const char *dir, int ifindex, __be32 addr, FILE *out)
{
	struct portown po = { .fd = -1 };
	char path[256];
	int rc = portown_path(path, sizeof(path), dir, ifindex, addr);
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
			    .l_start = PO_LOCK_RESPONDER, .l_len = 1 };

	if (rc)
		return rc;
	po.fd = open(path, O_RDONLY | O_CLOEXEC);
	if (po.fd < 0)
		return -errno;
	po.f = mmap(NULL, sizeof(*po.f), PROT_READ, MAP_SHARED, po.fd, 0);
	if (po.f == MAP_FAILED) {
		rc = -errno;
		close(po.fd);
		return rc;
	}
	if (fcntl(po.fd, F_OFD_GETLK, &fl))
		fl.l_type = F_UNLCK;
	for (int i = 0; i < PORTOWN_SLOTS; i++) {
		if (!po.f->slot[i].pid || !po_slot_alive(&po, i))
			continue;
		fprintf(out, "%d %s%s", (int)po.f->slot[i].pid, po.f->slot[i].comm,
			fl.l_type != F_UNLCK && po.f->responder_pid == (u32)po.f->slot[i].pid
				? " responder" : "");
		for (int p = 0; p < 2; p++) {
			fprintf(out, " %s:", p ? "udp" : "tcp");
			for (int port = 1, n = 0; port < PO_NPORTS; port++)
				if (po.f->owner[p][port] == i + 1)
					fprintf(out, "%s%d", n++ ? "," : "", port);
		}
		fputs(" group:", out);
		for (int g = 0, n = 0; g < PO_GROUPS; g++)
			if (po.f->group[g].port && po.f->group[g].state[i])
				fprintf(out, "%s%u/%s", n++ ? "," : "", po.f->group[g].port,
					po.f->group[g].state[i] == PO_MEMBER_ACTIVE ? "active"
					: po.f->group[g].state[i] == PO_MEMBER_DORMANT ? "dormant" : "conn");
		fputc('\n', out);
	}
	munmap(po.f, sizeof(*po.f));
	close(po.fd);
	return 0;
}
