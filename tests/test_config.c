/*
 * test_config.c - the SKBOS_* environment: every variable accepted in its
 * valid form, and every bad value refused with one line naming it.
 */
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <criterion/parameterized.h>

#include "skbos_config.h"
#include "inet.h"

static const char *const vars[] = { "SKBOS_IF", "SKBOS_ADDR", "SKBOS_GW", "SKBOS_MAC",
				    "SKBOS_MTU", "SKBOS_PCAP", "SKBOS_LOG", "SKBOS_LOOPBACK",
				    "SKBOS_SPIN_US", "SKBOS_OFFLOAD", "SKBOS_FAILNTH", "SKBOS_ADDR6",
				    "SKBOS_GW6" };

static void clear_env(void)
{
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
}

TestSuite(config, .init = clear_env, .fini = clear_env);

static struct skbos_config c;
static char err[256];

Test(config, nothing_set_means_nothing_to_do)
{
	cr_assert(eq(int, skbos_config_from_env(&c, err, sizeof(err)), 0));
	cr_assert(not(c.have_if));
	cr_assert(not(c.loopback));
	cr_assert(eq(int, c.log_level, -1));
}

Test(config, a_full_valid_configuration)
{
	setenv("SKBOS_IF", "lo", 1); /* any existing interface */
	setenv("SKBOS_ADDR", "10.1.0.2/24", 1);
	setenv("SKBOS_GW", "10.1.0.1", 1);
	setenv("SKBOS_MAC", "02:00:00:aa:bb:cc", 1);
	setenv("SKBOS_MTU", "9000", 1);
	setenv("SKBOS_PCAP", "/tmp/x.pcap", 1);
	setenv("SKBOS_LOG", "info", 1);
	setenv("SKBOS_LOOPBACK", "1", 1);
	setenv("SKBOS_SPIN_US", "50", 1);
	setenv("SKBOS_OFFLOAD", "csum", 1);
	setenv("SKBOS_FAILNTH", "12+", 1);
	cr_assert(eq(int, skbos_config_from_env(&c, err, sizeof(err)), 0), "%s", err);
	cr_assert(eq(u64, c.failnth, 12));
	cr_assert(c.failnth_persist);
	cr_assert(eq(u64, c.offloads_off, NETIF_F_GRO | NETIF_F_TSO | NETIF_F_SG));
	cr_assert(eq(str, c.ifname, "lo"));
	cr_assert(eq(u32, c.addr, ip4("10.1.0.2")));
	cr_assert(eq(int, c.prefixlen, 24));
	cr_assert(eq(u32, c.gw, ip4("10.1.0.1")));
	cr_assert(eq(u8, c.mac[5], 0xcc));
	cr_assert(eq(u32, c.mtu, 9000));
	cr_assert(eq(str, c.pcap, "/tmp/x.pcap"));
	cr_assert(eq(int, c.log_level, 2));
	cr_assert(c.loopback);
	cr_assert(eq(u32, c.spin_us, 50));
}

/* Arrays, not pointers: Criterion copies parameters into its worker process. */
struct bad_case {
	char var[32], value[48], expect[64];
};

static struct bad_case bad_cases[] = {
	{ "SKBOS_IF", "nosuchif0", "SKBOS_IF=nosuchif0: no such interface" },
	{ "SKBOS_IF", "averyveryverylongname", "SKBOS_IF=averyveryverylongname" },
	{ "SKBOS_ADDR", "10.1.0.300/24", "SKBOS_ADDR=10.1.0.300/24" },
	{ "SKBOS_ADDR", "10.1.0.2", "SKBOS_ADDR=10.1.0.2" },
	{ "SKBOS_ADDR", "10.1.0.2/33", "SKBOS_ADDR=10.1.0.2/33" },
	{ "SKBOS_ADDR", "224.0.0.1/4", "SKBOS_ADDR=224.0.0.1/4" },
	{ "SKBOS_GW", "10.2.0.1", "SKBOS_GW=10.2.0.1: not another host" },
	{ "SKBOS_GW", "10.1.0.x", "SKBOS_GW=10.1.0.x" },
	{ "SKBOS_ADDR6", "fd00::2", "SKBOS_ADDR6=fd00::2: expected" },
	{ "SKBOS_ADDR6", "fd00::2/129", "SKBOS_ADDR6=fd00::2/129" },
	{ "SKBOS_ADDR6", "fd00::2/0", "SKBOS_ADDR6=fd00::2/0" },
	{ "SKBOS_ADDR6", "fd00::g/64", "SKBOS_ADDR6=fd00::g/64" },
	{ "SKBOS_ADDR6", "ff02::1/64", "SKBOS_ADDR6=ff02::1/64" },
	{ "SKBOS_ADDR6", "::1/128", "SKBOS_ADDR6=::1/128" },
	{ "SKBOS_ADDR6", "::ffff:10.1.0.2/96", "SKBOS_ADDR6=::ffff:10.1.0.2/96" },
	{ "SKBOS_ADDR6", "10.1.0.2/24", "SKBOS_ADDR6=10.1.0.2/24" },
	{ "SKBOS_GW6", "fd00::1", "SKBOS_GW6=fd00::1: not a link-local" },
	{ "SKBOS_MAC", "01:00:5e:00:00:01", "SKBOS_MAC=01:00:5e:00:00:01" },
	{ "SKBOS_MAC", "02:00", "SKBOS_MAC=02:00" },
	{ "SKBOS_MTU", "40", "SKBOS_MTU=40" },
	{ "SKBOS_OFFLOAD", "fast", "SKBOS_OFFLOAD=fast" },
	{ "SKBOS_MTU", "1500x", "SKBOS_MTU=1500x" },
	{ "SKBOS_LOG", "verbose", "SKBOS_LOG=verbose" },
	{ "SKBOS_LOOPBACK", "yes", "SKBOS_LOOPBACK=yes" },
	{ "SKBOS_SPIN_US", "-5", "SKBOS_SPIN_US=-5" },
	{ "SKBOS_FAILNTH", "0", "SKBOS_FAILNTH=0" },
	{ "SKBOS_FAILNTH", "3x", "SKBOS_FAILNTH=3x" },
	{ "SKBOS_FAILNTH", "+4", "SKBOS_FAILNTH=+4" },
	{ "SKBOS_FAILNTH", "99999999999999999999", "SKBOS_FAILNTH=99999999999999999999" },
};

ParameterizedTestParameters(config, a_bad_value_names_its_variable)
{
	return cr_make_param_array(struct bad_case, bad_cases, sizeof(bad_cases) / sizeof(bad_cases[0]));
}

ParameterizedTest(struct bad_case *bc, config, a_bad_value_names_its_variable)
{
	clear_env();
	setenv("SKBOS_IF", "lo", 1);
	setenv("SKBOS_ADDR", "10.1.0.2/24", 1);
	setenv(bc->var, bc->value, 1);
	cr_assert(eq(int, skbos_config_from_env(&c, err, sizeof(err)), -EINVAL), "%s=%s", bc->var, bc->value);
	cr_assert(not(eq(ptr, strstr(err, bc->expect), NULL)), "message: %s", err);
	cr_assert(eq(ptr, strchr(err, '\n'), NULL), "one line");
}

Test(config, an_interface_needs_an_address)
{
	setenv("SKBOS_IF", "lo", 1);
	cr_assert(eq(int, skbos_config_from_env(&c, err, sizeof(err)), -EINVAL));
	cr_assert(not(eq(ptr, strstr(err, "SKBOS_ADDR is not set"), NULL)));
}

Test(config, an_ipv6_address_and_router)
{
	struct in6_addr a, g;

	setenv("SKBOS_IF", "lo", 1);
	setenv("SKBOS_ADDR", "10.1.0.2/24", 1);
	setenv("SKBOS_ADDR6", "fd00:1::2/64", 1);
	setenv("SKBOS_GW6", "fe80::1", 1);
	cr_assert(eq(int, skbos_config_from_env(&c, err, sizeof(err)), 0), "%s", err);
	inet_pton(AF_INET6, "fd00:1::2", &a);
	inet_pton(AF_INET6, "fe80::1", &g);
	cr_assert(c.have_addr6 && c.have_gw6);
	cr_assert(eq(int, c.prefixlen6, 64));
	cr_assert(eq(int, memcmp(&c.addr6, &a, 16), 0));
	cr_assert(eq(int, memcmp(&c.gw6, &g, 16), 0));
	/* a router on the address's own prefix is as good as a link-local one */
	setenv("SKBOS_GW6", "fd00:1::1", 1);
	cr_assert(eq(int, skbos_config_from_env(&c, err, sizeof(err)), 0), "%s", err);
	/* skbos's own address is no router */
	setenv("SKBOS_GW6", "fd00:1::2", 1);
	cr_assert(eq(int, skbos_config_from_env(&c, err, sizeof(err)), -EINVAL));
	cr_assert(not(eq(ptr, strstr(err, "SKBOS_GW6=fd00:1::2"), NULL)), "%s", err);
}

Test(config, an_ipv6_address_needs_an_interface)
{
	setenv("SKBOS_ADDR6", "fd00:1::2/64", 1);
	cr_assert(eq(int, skbos_config_from_env(&c, err, sizeof(err)), -EINVAL));
	cr_assert(not(eq(ptr, strstr(err, "SKBOS_ADDR6=fd00:1::2/64: needs SKBOS_IF"), NULL)), "%s", err);
}
