/*
 * api.c - the native API (include/skbos/skbos.h): the exported skbos_*
 * functions, each a thin translation from -errno to errno around the core.
 */
#include "config.h"
#include "skbos/skbos.h"

const char *skbos_version(void)
{
	return PACKAGE_VERSION;
}
