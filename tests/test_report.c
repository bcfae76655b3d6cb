/*
 * test_report.c - stack_report (libos/ipv4/report.c), the text skbos-stat shows:
 * two stacks on virtual time with a listener, a connection holding unread
 * data, a UDP socket and a dropped frame; the lines must be exactly the
 * documented format (README "skbos-stat").
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "inet.h"
#include "ip.h"
#include "report.h"
#include "socks.h"
#include "tcp.h"
#include "udp.h"

static struct inet_pair p;
static struct stack *sa, *sb;
static char *text;
static size_t text_len;

static void setup(void)
{
	inet_pair_setup(&p);
	sa = p.w.st[0];
	sb = p.w.st[1];
}

static void teardown(void)
{
	free(text);
	text = NULL;
	world_advance(&p.w, 121 * NSEC_PER_SEC);
	cr_assert(eq(u32, tcp_socket_count(sa) + tcp_socket_count(sb), 0), "connections left");
	world_assert_no_leaks(&p.w);
	inet_pair_teardown(&p);
}

TestSuite(report, .init = setup, .fini = teardown, .timeout = 60);

static void report(struct stack *st)
{
	FILE *f;

	free(text);
	text = NULL;
	f = open_memstream(&text, &text_len);
	cr_assert(not(eq(ptr, f, NULL)));
	stack_report(st, f);
	cr_assert(eq(int, fclose(f), 0));
}

/* The whole line that starts with @prefix, or NULL. */
static char *line_of(const char *prefix)
{
	static char line[512];
	size_t n = strlen(prefix);

	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (!strncmp(l, prefix, n)) {
			size_t len = strcspn(l, "\n");

			memcpy(line, l, len < sizeof(line) ? len : sizeof(line) - 1);
			line[len < sizeof(line) ? len : sizeof(line) - 1] = '\0';
			return line;
		}
	}
	return NULL;
}

/* B's end of the connection: 10 bytes unread, nothing unacknowledged. */
#define ESTAB_B "tcp   ESTAB      10     0      10.0.0.2:80           "

Test(report, sockets_and_counters_in_the_documented_format)
{
	struct socket *l = t_socket(sb, SOCK_STREAM, 0), *c = t_socket(sa, SOCK_STREAM, 0), *s;
	struct socket *u = t_socket(sb, SOCK_DGRAM, 0);
	char name[64], *ln;
	u16 cport;

	cr_assert(eq(int, t_bind(l, 0, 80), 0));
	cr_assert(eq(int, l->ops->listen(l, 16), 0));
	cr_assert(eq(int, t_connect(c, p.b, 80), 0));
	cr_assert(eq(int, sock_accept(l, &s, 0), 0));
	cr_assert(eq(int, t_send(c, "0123456789", 10, 0), 10));
	cr_assert(eq(int, t_bind(u, 0, 53), 0));
	world_run(&p.w);
	inject_ip(p.db, &(struct ipspec){ .saddr = p.a, .daddr = p.b, .proto = IPPROTO_UDP,
					  .bad_csum = true, .payload = "12345678", .len = 8 });
	cport = t_port(c);
	report(sb);

	cr_assert(eq(int, strncmp(text, STACK_REPORT_MAGIC "\n# sockets\n",
				  strlen(STACK_REPORT_MAGIC "\n# sockets\n")), 0), "%s", text);
	cr_assert(not(eq(ptr, line_of("Netid State      Recv-Q Send-Q Local Address:Port    "
				      "Peer Address:Port     Info"), NULL)), "%s", text);
	cr_assert(eq(str, line_of("tcp   LISTEN"),
		     "tcp   LISTEN     0      16     0.0.0.0:80            0.0.0.0:*"));
	ln = line_of("tcp   ESTAB");
	cr_assert(not(eq(ptr, ln, NULL)), "%s", text);
	snprintf(name, sizeof(name), "10.0.0.1:%u", cport);
	cr_assert(eq(int, strncmp(ln, ESTAB_B, strlen(ESTAB_B)), 0), "%s", ln);
	cr_assert(eq(int, strncmp(ln + strlen(ESTAB_B), name, strlen(name)), 0), "%s", ln);
	cr_assert(not(eq(ptr, strstr(ln, " rtt:"), NULL)), "%s", ln);
	cr_assert(not(eq(ptr, strstr(ln, " cwnd:10 ssthresh:"), NULL)), "%s", ln);
	cr_assert(not(eq(ptr, strstr(ln, " retrans:0/0 mss:"), NULL)), "%s", ln);
	{
		/* ss -m's skmem: the 10 unread bytes are charged, with their skb */
		struct sock *sk = s->sk;
		char want[96];

		snprintf(want, sizeof(want), " rmem:%d rcvbuf:%d wmem:%d sndbuf:%d", sk->sk_rmem_alloc,
			 sk->sk_rcvbuf, sk->sk_wmem_alloc, sk->sk_sndbuf);
		cr_assert(gt(int, sk->sk_rmem_alloc, 10));
		cr_assert(not(eq(ptr, strstr(ln, want), NULL)), "%s, want %s", ln, want);
	}
	cr_assert(eq(str, line_of("udp"), "udp   UNCONN     0      0      0.0.0.0:53            0.0.0.0:*"));

	cr_assert(not(eq(ptr, strstr(text, "\n# counters\n"), NULL)));
	for (int i = 0; i < __SNMP_MIB_MAX; i++)
		cr_assert(not(eq(ptr, line_of(snmp_mib_name((enum snmp_mib)i, name, sizeof(name))), NULL)),
			  "%s missing", name);
	cr_assert(eq(str, line_of("TcpPassiveOpens"), "TcpPassiveOpens                 1"));
	cr_assert(eq(str, line_of("TcpActiveOpens"), "TcpActiveOpens                  0"));
	cr_assert(eq(str, line_of("TcpCurrEstab"), "TcpCurrEstab                    1"));
	cr_assert(eq(str, line_of("DropIP_CSUM"), "DropIP_CSUM                     1"));
	cr_assert(eq(ptr, line_of("DropNOMEM"), NULL), "zero drops are not listed");
	cr_assert(eq(str, line_of("FragInuse"), "FragInuse                       0"));
	cr_assert(eq(str, line_of("FragMemory"), "FragMemory                      0"));
	cr_assert(eq(str, line_of("ArpCacheEntries"), "ArpCacheEntries                 1"), "%s", text);
	cr_assert(eq(int, strcmp(text + text_len - 6, "# end\n"), 0));

	sock_release(s);
	sock_release(c);
	sock_release(l);
	sock_release(u);
}

Test(report, an_empty_stack)
{
	report(sa);
	cr_assert(not(eq(ptr, strstr(text, "Info\n# counters\nIpInReceives "), NULL)), "%s", text);
	cr_assert(eq(str, line_of("TcpCurrEstab"), "TcpCurrEstab                    0"));
	cr_assert(eq(ptr, line_of("Drop"), NULL));
}

/* The gauges: a datagram waiting for its second fragment holds memory. */
Test(report, fragments_in_reassembly_are_shown)
{
	char want[64];

	inject_ip(p.db, &(struct ipspec){ .saddr = p.a, .daddr = p.b, .proto = IPPROTO_UDP, .id = 7,
					  .frag_off = IP_MF, .payload = "0123456789abcdef", .len = 16 });
	report(sb);
	cr_assert(eq(str, line_of("FragInuse"), "FragInuse                       1"), "%s", text);
	cr_assert(gt(long, ipfrag_mem(sb), 16));
	snprintf(want, sizeof(want), "%-31s %ld", "FragMemory", ipfrag_mem(sb));
	cr_assert(eq(str, line_of("FragMemory"), want));
	world_advance(&p.w, 31 * NSEC_PER_SEC); /* ipfrag_time: the queue expires */
	report(sb);
	cr_assert(eq(str, line_of("FragInuse"), "FragInuse                       0"), "%s", text);
	cr_assert(eq(str, line_of("FragMemory"), "FragMemory                      0"));
}

/* The FIN is no byte: CLOSE-WAIT counts only data; TIME-WAIT shows 0 and 0. */
Test(report, a_fin_is_not_in_recv_q)
{
	struct socket *l = t_socket(sb, SOCK_STREAM, 0), *c = t_socket(sa, SOCK_STREAM, 0), *s;
	char buf[16];

	cr_assert(eq(int, t_bind(l, 0, 80), 0));
	cr_assert(eq(int, l->ops->listen(l, 16), 0));
	cr_assert(eq(int, t_connect(c, p.b, 80), 0));
	cr_assert(eq(int, sock_accept(l, &s, 0), 0));
	cr_assert(eq(int, t_send(c, "0123456789", 10, 0), 10));
	sock_release(c);
	world_run(&p.w);
	report(sb);
	cr_assert(eq(int, strncmp(line_of("tcp   CLOSE-WAIT"), "tcp   CLOSE-WAIT 10     0 ", 26), 0),
		  "%s", text);
	cr_assert(eq(int, t_recvfrom(s, buf, sizeof(buf), 0, NULL, NULL), 10));
	cr_assert(eq(int, t_recvfrom(s, buf, sizeof(buf), 0, NULL, NULL), 0));
	report(sb);
	cr_assert(eq(int, strncmp(line_of("tcp   CLOSE-WAIT"), "tcp   CLOSE-WAIT 0      0 ", 26), 0),
		  "%s", text);
	sock_release(s);
	world_run(&p.w);
	report(sa);
	cr_assert(eq(int, strncmp(line_of("tcp   TIME-WAIT"), "tcp   TIME-WAIT  0      0 ", 26), 0),
		  "%s", text);
	sock_release(l);
}
