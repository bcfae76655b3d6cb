/*
 * fuzz_input.c - libFuzzer target: arbitrary bytes as a sequence of Ethernet
 * frames into a busy stack, the whole input path end to end (netfeed.h
 * describes the scenario and the record format).
 *
 * Each input runs in a fresh pair of stacks built the same way every time,
 * so a crash replays from its input alone (tests/test_fuzz_regress.c).
 */
#include "netfeed.h"

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	netfeed_run(data, size);
	return 0;
}
