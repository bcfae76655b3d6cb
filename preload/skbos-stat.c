/*
 * skbos-stat - the sockets and counters of a running skbos process, like
 * `ss -tuna` and `nstat -az` for the kernel (README "skbos-stat").
 *
 * It connects to the process's control socket (libos/runtime/ctl.c) in the first
 * of /run/skbos, $XDG_RUNTIME_DIR/skbos, /run/user/UID/skbos and
 * /tmp/skbos-UID that has PID.sock (UID: the process's owner), reads the
 * report (libos/ipv4/report.c) to the end and shows the parts asked for.  It
 * links nothing of skbos but the port table's reader (-a, libos/runtime/portown.c):
 * the report is text.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <net/if.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <config.h> /* PACKAGE_VERSION */
#include "ctl.h"
#include "portown.h"
#include "report.h"

#define REPORT_TIMEOUT_S 5

static const char usage[] =
	"Usage: skbos-stat [-s|-c] [-j] PID|NAME\n"
	"       skbos-stat -a IF ADDR\n"
	"Show the sockets and counters of a running skbos process (see skbos-run),\n"
	"or (-a) every skbos process on interface IF and address ADDR, in this\n"
	"network namespace, with the ports each owns:\n"
	"  PID COMM [responder] tcp:PORT,... udp:PORT,... group:PORT/active|dormant|conn,...\n"
	"\n"
	"  -a, --address   the processes sharing IF's address ADDR\n"
	"  -s, --sockets   sockets only, as `ss -tuna` (TCP adds `ss -ti` details)\n"
	"  -c, --counters  counters only, as `nstat -az`, then drops by reason\n"
	"  -j, --json      one JSON object per process\n"
	"  -h, --help      this text\n"
	"  -V, --version   the version\n"
	"\n"
	"NAME is matched against /proc/PID/comm; every skbos process of that name\n"
	"is shown.  Output (stable; both parts unless -s or -c):\n"
	"  # skbos pid PID (COMM)\n"
	"  # sockets\n"
	"  Netid State Recv-Q Send-Q Local Address:Port Peer Address:Port Info\n"
	"  tcp   ESTAB 0      0      10.0.0.1:80        10.0.0.2:41000    rtt:MS/MS cwnd:N\n"
	"                                 ssthresh:N retrans:CUR/TOTAL mss:N\n"
	"                                 rmem:N rcvbuf:N wmem:N sndbuf:N\n"
	"  # counters\n"
	"  IpInReceives 12        (every Ip/Icmp/Tcp/Udp/ArpExt counter, TcpCurrEstab)\n"
	"  FragMemory 0           (gauges: FragInuse, FragMemory as sockstat's FRAG;\n"
	"                          ArpCacheEntries, ...Allocs, ...Destroys,\n"
	"                          ...ForcedGcRuns, ...TableFulls as stat/arp_cache)\n"
	"  DropNO_SOCKET 2        (drops by skbos reason, nonzero only)\n"
	"The report comes from /run/skbos/PID.sock (or $XDG_RUNTIME_DIR/skbos,\n"
	"/tmp/skbos-UID).  Exit status: 0, or 1 with one line on stderr.\n";

enum { SHOW_SOCKETS = 1, SHOW_COUNTERS = 2 };

static void comm_of(int pid, char *buf, size_t len)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	buf[0] = '\0';
	f = fopen(path, "r");
	if (!f)
		return;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

/* Connect to @pid's control socket.  Return: fd, or -errno of the most telling failure. */
static int ctl_connect(int pid, uid_t uid, char *where, size_t wlen)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	char dirs[4][80];
	int n = 0, best = -ENOENT;

	snprintf(dirs[n++], sizeof(dirs[0]), "%s", SKBOS_CTL_RUNDIR);
	if (xdg && xdg[0] == '/')
		snprintf(dirs[n++], sizeof(dirs[0]), "%.60s/skbos", xdg);
	snprintf(dirs[n++], sizeof(dirs[0]), "/run/user/%u/skbos", (unsigned int)uid);
	snprintf(dirs[n++], sizeof(dirs[0]), SKBOS_CTL_TMPDIR "%u", (unsigned int)uid);
	for (int i = 0; i < n; i++) {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), err;

		if (fd < 0)
			return -errno;
		snprintf(sun.sun_path, sizeof(sun.sun_path), "%.80s/%d.sock", dirs[i], pid);
		if (!connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
			snprintf(where, wlen, "%s", sun.sun_path);
			return fd;
		}
		err = errno;
		close(fd);
		/* EACCES beats ECONNREFUSED (stale) beats ENOENT */
		if (err == EACCES || err == EPERM || (err == ECONNREFUSED && best == -ENOENT)) {
			best = -err;
			snprintf(where, wlen, "%s", sun.sun_path);
		}
	}
	return best;
}

/* The whole report, or NULL (an error printed). */
static char *read_report(int fd, int pid)
{
	struct timeval tv = { .tv_sec = REPORT_TIMEOUT_S };
	size_t len = 0, cap = 65536;
	char *buf = malloc(cap);
	ssize_t n;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (buf && (n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += (size_t)n;
		if (cap - len < 4096) {
			char *b = realloc(buf, cap * 2);

			if (!b) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = b;
			cap *= 2;
		}
	}
	if (!buf) {
		fprintf(stderr, "skbos-stat: out of memory\n");
		return NULL;
	}
	buf[len] = '\0';
	if (strncmp(buf, STACK_REPORT_MAGIC "\n", strlen(STACK_REPORT_MAGIC) + 1) ||
	    len < 6 || strcmp(buf + len - 6, "# end\n")) {
		fprintf(stderr, "skbos-stat: %d: %s\n", pid,
			len ? "the report is incomplete or of an unknown format"
			    : "no answer from the stack (timed out or refused)");
		free(buf);
		return NULL;
	}
	return buf;
}

/* @s as a JSON string (a comm may hold anything). */
static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", (unsigned char)*s);
		else
			putchar(*s);
	}
	putchar('"');
}

/* Value of an Info field as JSON: a number, or a string ("0.2/0.1"). */
static void json_value(const char *v)
{
	size_t i = 0;

	while (v[i] && isdigit((unsigned char)v[i]))
		i++;
	if (i && !v[i])
		fputs(v, stdout);
	else
		printf("\"%s\"", v);
}

static void json_socket(char *line, bool *first)
{
	char *f[7], *save = NULL, *tok;
	int n = 0;

	for (tok = strtok_r(line, " ", &save); tok && n < 6; tok = strtok_r(NULL, " ", &save))
		f[n++] = tok;
	if (n < 6)
		return;
	printf("%s{\"netid\":\"%s\",\"state\":\"%s\",\"recv_q\":%s,\"send_q\":%s,"
	       "\"local\":\"%s\",\"peer\":\"%s\"",
	       *first ? "" : ",", f[0], f[1], f[2], f[3], f[4], f[5]);
	for (; tok; tok = strtok_r(NULL, " ", &save)) {
		char *colon = strchr(tok, ':');

		if (!colon)
			continue;
		*colon = '\0';
		printf(",\"%s\":", tok);
		json_value(colon + 1);
	}
	putchar('}');
	*first = false;
}

static void show_json(char *report, int pid, const char *comm, int show)
{
	char *save = NULL, *line;
	int section = 0;
	bool first = true, header = false;

	printf("{\"pid\":%d,\"comm\":", pid);
	json_str(comm);
	for (line = strtok_r(report, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strcmp(line, "# sockets") || !strcmp(line, "# counters")) {
			if (section)
				printf("%s", section == SHOW_SOCKETS ? "]" : "}");
			section = line[2] == 's' ? SHOW_SOCKETS : SHOW_COUNTERS;
			if (show & section)
				printf(section == SHOW_SOCKETS ? ",\"sockets\":[" : ",\"counters\":{");
			first = true;
			header = section == SHOW_SOCKETS;
			continue;
		}
		if (!strcmp(line, "# end"))
			break;
		if (!(show & section) || line[0] == '#')
			continue;
		if (header) {
			header = false; /* the column titles */
		} else if (section == SHOW_SOCKETS) {
			json_socket(line, &first);
		} else if (section == SHOW_COUNTERS) {
			char name[64];
			unsigned long long v;

			if (sscanf(line, "%63s %llu", name, &v) == 2)
				printf("%s\"%s\":%llu", first ? "" : ",", name, v);
			first = false;
		}
	}
	if (section && (show & section))
		printf("%s", section == SHOW_SOCKETS ? "]" : "}");
	printf("}\n");
}

static void show_text(char *report, int pid, const char *comm, int show, bool heading)
{
	char *save = NULL, *line;
	int section = 0;

	if (heading)
		printf("# skbos pid %d (%s)\n", pid, comm);
	strtok_r(report, "\n", &save); /* the magic line */
	while ((line = strtok_r(NULL, "\n", &save))) {
		if (!strcmp(line, "# end"))
			break;
		if (!strcmp(line, "# sockets") || !strcmp(line, "# counters")) {
			section = line[2] == 's' ? SHOW_SOCKETS : SHOW_COUNTERS;
			if (show == (SHOW_SOCKETS | SHOW_COUNTERS))
				puts(line);
			continue;
		}
		if (show & section)
			puts(line);
	}
}

/*
 * One process.  Return: 0 shown, 1 an error printed; with @quiet, 2 for
 * "not an skbos process" and nothing printed (NAME lookups).
 */
static int stat_pid(int pid, int show, bool json, bool heading, bool quiet)
{
	char path[64], where[128] = "", comm[64];
	struct stat sb;
	char *report;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d", pid);
	if (stat(path, &sb)) {
		fprintf(stderr, "skbos-stat: %d: no such process\n", pid);
		return 1;
	}
	comm_of(pid, comm, sizeof(comm));
	fd = ctl_connect(pid, sb.st_uid, where, sizeof(where));
	if (fd == -EACCES || fd == -EPERM) {
		fprintf(stderr, "skbos-stat: %d (%s): permission denied on %s (run as its user or root)\n",
			pid, comm, where);
		return 1;
	}
	if (fd < 0) {
		if (quiet)
			return 2;
		if (fd == -ECONNREFUSED)
			fprintf(stderr, "skbos-stat: %d (%s): not running skbos (stale control socket %s)\n",
				pid, comm, where);
		else if (fd == -ENOENT)
			fprintf(stderr, "skbos-stat: %d (%s): not running skbos (no control socket)\n", pid,
				comm);
		else
			fprintf(stderr, "skbos-stat: %d (%s): %s\n", pid, comm, strerror(-fd));
		return 1;
	}
	report = read_report(fd, pid);
	close(fd);
	if (!report)
		return 1;
	if (json)
		show_json(report, pid, comm, show);
	else
		show_text(report, pid, comm, show, heading);
	free(report);
	return 0;
}

/* Every process whose comm is @name (comm keeps 15 characters). */
static int stat_name(const char *name, int show, bool json)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int found = 0, shown = 0, failed = 0;

	if (!d) {
		fprintf(stderr, "skbos-stat: /proc: %s\n", strerror(errno));
		return 1;
	}
	while ((de = readdir(d))) {
		char comm[64];
		int pid = atoi(de->d_name), rc;

		if (pid <= 0 || pid == getpid())
			continue;
		comm_of(pid, comm, sizeof(comm));
		if (strncmp(comm, name, 15) || strlen(name) < strlen(comm))
			continue;
		found++;
		rc = stat_pid(pid, show, json, true, true);
		shown += rc == 0;
		failed += rc == 1;
	}
	closedir(d);
	if (!found) {
		fprintf(stderr, "skbos-stat: %s: no such process\n", name);
		return 1;
	}
	if (!shown && !failed) {
		fprintf(stderr, "skbos-stat: %s: not running skbos (%d process%s, no control socket)\n",
			name, found, found == 1 ? "" : "es");
		return 1;
	}
	return failed ? 1 : 0;
}

/*
 * -a IF ADDR: the address's port table (libos/runtime/portown.c), read where the
 * stacks keep it: the first of the run directories that has it.
 */
static int stat_address(int argc, char **argv)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	char dirs[3][128];
	unsigned int ifindex;
	struct in_addr a;
	int rc = -ENOENT;

	if (argc != 2 || !inet_aton(argv[1], &a)) {
		fprintf(stderr, "skbos-stat: -a IF ADDR expected (--help)\n");
		return 2;
	}
	ifindex = if_nametoindex(argv[0]);
	if (!ifindex) {
		fprintf(stderr, "skbos-stat: %s: no such interface here\n", argv[0]);
		return 1;
	}
	snprintf(dirs[0], sizeof(dirs[0]), "%s", SKBOS_CTL_RUNDIR);
	snprintf(dirs[1], sizeof(dirs[1]), "%s/skbos", xdg && xdg[0] == '/' ? xdg : "/nonexistent");
	snprintf(dirs[2], sizeof(dirs[2]), SKBOS_CTL_TMPDIR "%u", (unsigned int)geteuid());
	printf("# skbos address %s on %s\n", argv[1], argv[0]);
	for (int i = 0; i < 3 && rc; i++)
		rc = portown_report(dirs[i], (int)ifindex, a.s_addr, stdout);
	if (rc) {
		fprintf(stderr, "skbos-stat: no skbos process has used %s on %s (%s)\n", argv[1],
			argv[0], strerror(-rc));
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "sockets", no_argument, NULL, 's' }, { "counters", no_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },    { "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' }, { "address", no_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	bool addr = false;
	int show = 0, c;
	bool json = false;
	char *end;
	long pid;

	while ((c = getopt_long(argc, argv, "scjhVa", opts, NULL)) != -1) {
		switch (c) {
		case 'a': addr = true; break;
		case 's': show |= SHOW_SOCKETS; break;
		case 'c': show |= SHOW_COUNTERS; break;
		case 'j': json = true; break;
		case 'h': fputs(usage, stdout); return 0;
		case 'V': printf("skbos-stat (skbos) %s\n", PACKAGE_VERSION); return 0;
		default: fputs(usage, stderr); return 2;
		}
	}
	if (addr)
		return stat_address(argc - optind, argv + optind);
	if (optind != argc - 1) {
		fprintf(stderr, "skbos-stat: one PID or NAME expected (--help)\n");
		return 2;
	}
	if (!show)
		show = SHOW_SOCKETS | SHOW_COUNTERS;
	pid = strtol(argv[optind], &end, 10);
	if (argv[optind][0] && !*end) {
		if (pid <= 0 || pid > 0x7fffffff) {
			fprintf(stderr, "skbos-stat: %s: no such process\n", argv[optind]);
			return 1;
		}
		return stat_pid((int)pid, show, json, show == (SHOW_SOCKETS | SHOW_COUNTERS), false);
	}
	return stat_name(argv[optind], show, json);
}
