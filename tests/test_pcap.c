/*
 * test_pcap.c - the pcap tap (libos/core/pcap.c): frames crossing the in-memory
 * wire, both directions, end up in a file that libpcap and tcpdump read
 * back, byte for byte.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <pcap/pcap.h>
#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "world.h"
#include "frames.h"
#include "wire.h"
#include "pcap.h"
#include "skbuff.h"

static struct world w;
static struct wire *wire;
static char path[64];

static void setup(void)
{
	world_init(&w, 2);
	wire = wire_create(w.st[0], "wa", mac_a, w.st[1], "wb", mac_b);
	cr_assert(not(eq(ptr, wire, NULL)));
	snprintf(path, sizeof(path), "/tmp/skbos-test-pcap-%d.pcap", (int)getpid());
}

static void teardown(void)
{
	wire_destroy(wire);
	world_assert_no_leaks(&w);
	world_fini(&w);
	if (!getenv("KEEP_PCAP"))
		unlink(path);
}

TestSuite(pcap, .init = setup, .fini = teardown);

/* Send @n test frames from @dev with ids from @first. */
static void send_frames(struct net_device *dev, const u8 *dst, u32 first, u32 n, unsigned int payload)
{
	for (u32 i = 0; i < n; i++)
		cr_assert(eq(int, send_test_frame(dev, dst, first + i, payload), 0));
}

Test(pcap, every_frame_both_ways_is_written)
{
	struct skb_pcap *pc = skb_pcap_open(w.st[0], path);
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *rd;
	int n = 0;

	cr_assert(not(eq(ptr, pc, NULL)));
	cr_assert(not(IS_ERR(pc)));
	send_frames(wire_dev(wire, 0), mac_b, 1, 10, 100);
	send_frames(wire_dev(wire, 1), mac_a, 100, 5, 1000);
	world_run(&w);
	cr_assert(eq(u64, skb_pcap_frames(pc), 15));
	skb_pcap_close(pc);

	rd = pcap_open_offline(path, errbuf);
	cr_assert(not(eq(ptr, rd, NULL)), "%s", errbuf);
	cr_assert(eq(int, pcap_datalink(rd), DLT_EN10MB));
	while (pcap_next_ex(rd, &h, &data) == 1) {
		unsigned int payload = n < 10 ? 100 : 1000;

		cr_assert(eq(u32, h->caplen, ETH_HLEN + payload));
		cr_assert(eq(int, memcmp(data, n < 10 ? mac_b : mac_a, ETH_ALEN), 0));
		n++;
	}
	pcap_close(rd);
	cr_assert(eq(int, n, 15));
}

Test(pcap, tcpdump_reads_the_file)
{
	struct skb_pcap *pc = skb_pcap_open(w.st[1], path);
	char cmd[160], line[256];
	FILE *f;
	int frames = 0;

	if (system("command -v tcpdump >/dev/null 2>&1") != 0) {
		if (getenv("CI") && !strcmp(getenv("CI"), "true"))
			cr_fatal("tcpdump is not installed (scripts/deps.sh installs it)");
		cr_skip_test("tcpdump is not installed");
	}
	cr_assert(not(IS_ERR(pc)));
	send_frames(wire_dev(wire, 0), mac_b, 1, 7, 64);
	world_run(&w);
	skb_pcap_close(pc);
	snprintf(cmd, sizeof(cmd), "tcpdump -nn -r %s 2>/dev/null", path);
	f = popen(cmd, "r");
	cr_assert(not(eq(ptr, f, NULL)));
	/* One summary line per frame; tcpdump hex-dumps an unknown ethertype's
	 * payload on indented lines after it. */
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '\t' || line[0] == ' ')
			continue;
		cr_assert(not(eq(ptr, strstr(line, "length 78"), NULL)), "%s", line);
		frames++;
	}
	cr_assert(eq(int, pclose(f), 0));
	cr_assert(eq(int, frames, 7));
}

Test(pcap, unwritable_path_fails_cleanly)
{
	struct skb_pcap *pc = skb_pcap_open(w.st[0], "/nonexistent-dir/x.pcap");

	cr_assert(IS_ERR(pc));
	cr_assert(eq(long, PTR_ERR(pc), -EIO));
}
