// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bench-fake-kernel: a "kernel-ipsec" backend for strongSwan's charon that installs nothing.
 *
 * It hands out SPIs from a counter and accepts every SA and policy without touching the
 * kernel: the same treatment our responder gets from `nm-ike --kernel record`, so the handshake
 * benchmark (tests/bench, P1) compares IKE processing only.  strongSwan's own load-tester
 * plugin has such a fake kernel, but Debian does not ship that plugin.
 *
 * How it is loaded: tests/bench starts charon with LD_PRELOAD pointing at this library and
 * "bench-fake-kernel" first in charon.load.  charon's plugin loader looks the constructor
 * bench_fake_kernel_plugin_create() up with dlsym(RTLD_DEFAULT) before it looks for a plugin
 * file, and finds it in the preloaded library.  Because our backend registers first, the
 * "kernel-ipsec" feature of kernel-netlink fails to register (harmless: charon logs it) and
 * kernel-netlink only provides the "kernel-net" part (addresses, routes lookups).
 *
 * Debian ships no strongSwan headers, so the few types used here are declared below for the
 * strongSwan 5.9 ABI (plugin_t, plugin_feature_t, kernel_ipsec_t).  tests/bench/run checks
 * that charon loaded this plugin and that handshakes complete; a mismatch shows up there.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

/* status_t */
enum { SUCCESS = 0, NOT_SUPPORTED = 4 };

typedef struct plugin_t plugin_t;
struct plugin_t {
	char *(*get_name)(plugin_t *this);
	int (*get_features)(plugin_t *this, void **features);
	bool (*reload)(plugin_t *this);
	void (*destroy)(plugin_t *this);
};

/* plugin_feature_t: kind, type, then a 16-byte union (largest members: two pointers) */
enum { FEATURE_PROVIDE = 0, FEATURE_CALLBACK = 4 };
enum { FEATURE_NONE = 0, FEATURE_CUSTOM = 30 };
typedef struct {
	int kind;
	int type;
	union {
		const char *custom;
		struct {
			void *f;
			void *data;
		} cb;
	} arg;
} feature_t;
_Static_assert(sizeof(feature_t) == 24, "plugin_feature_t is 24 bytes on LP64");

typedef struct kernel_ipsec_t kernel_ipsec_t;
struct kernel_ipsec_t {
	int (*get_features)(kernel_ipsec_t *this);
	int (*get_spi)(kernel_ipsec_t *this, void *src, void *dst, uint8_t protocol, uint32_t *spi);
	int (*get_cpi)(kernel_ipsec_t *this, void *src, void *dst, uint16_t *cpi);
	int (*add_sa)(kernel_ipsec_t *this, void *id, void *data);
	int (*update_sa)(kernel_ipsec_t *this, void *id, void *data);
	int (*query_sa)(kernel_ipsec_t *this, void *id, void *data, uint64_t *bytes,
			uint64_t *packets, time_t *time);
	int (*del_sa)(kernel_ipsec_t *this, void *id, void *data);
	int (*flush_sas)(kernel_ipsec_t *this);
	int (*add_policy)(kernel_ipsec_t *this, void *id, void *data);
	int (*query_policy)(kernel_ipsec_t *this, void *id, void *data, time_t *use_time);
	int (*del_policy)(kernel_ipsec_t *this, void *id, void *data);
	int (*flush_policies)(kernel_ipsec_t *this);
	bool (*bypass_socket)(kernel_ipsec_t *this, int fd, int family);
	bool (*enable_udp_decap)(kernel_ipsec_t *this, int fd, int family, uint16_t port);
	void (*destroy)(kernel_ipsec_t *this);
};

/* libcharon: registers a kernel_ipsec_t constructor (the plugin and feature are unused) */
extern bool kernel_ipsec_register(plugin_t *plugin, void *feature, bool reg, void *data);

static uint32_t next_spi = 0xc0000000;

static int k_features(kernel_ipsec_t *this) { (void)this; return 0; }

static int k_get_spi(kernel_ipsec_t *this, void *src, void *dst, uint8_t protocol, uint32_t *spi)
{
	(void)this; (void)src; (void)dst; (void)protocol;
	*spi = htonl(__atomic_add_fetch(&next_spi, 1, __ATOMIC_RELAXED));
	return SUCCESS;
}

static int k_get_cpi(kernel_ipsec_t *this, void *src, void *dst, uint16_t *cpi)
{
	(void)this; (void)src; (void)dst; (void)cpi;
	return NOT_SUPPORTED;
}

static int k_ok2(kernel_ipsec_t *this, void *id, void *data)
{
	(void)this; (void)id; (void)data;
	return SUCCESS;
}

static int k_query_sa(kernel_ipsec_t *this, void *id, void *data, uint64_t *bytes,
		      uint64_t *packets, time_t *time)
{
	(void)this; (void)id; (void)data; (void)bytes; (void)packets; (void)time;
	return NOT_SUPPORTED;
}

static int k_query_policy(kernel_ipsec_t *this, void *id, void *data, time_t *use_time)
{
	(void)this; (void)id; (void)data; (void)use_time;
	return NOT_SUPPORTED;
}

static int k_ok0(kernel_ipsec_t *this) { (void)this; return SUCCESS; }

static bool k_bypass(kernel_ipsec_t *this, int fd, int family)
{
	(void)this; (void)fd; (void)family;
	return true;
}

static bool k_decap(kernel_ipsec_t *this, int fd, int family, uint16_t port)
{
	(void)this; (void)fd; (void)family; (void)port;
	return true;
}

static void k_destroy(kernel_ipsec_t *this) { free(this); }

static kernel_ipsec_t *fake_kernel_create(void)
{
	kernel_ipsec_t *k = calloc(1, sizeof(*k));
	if (!k)
		return NULL;
	k->get_features = k_features;
	k->get_spi = k_get_spi;
	k->get_cpi = k_get_cpi;
	k->add_sa = k_ok2;
	k->update_sa = k_ok2;
	k->query_sa = k_query_sa;
	k->del_sa = k_ok2;
	k->flush_sas = k_ok0;
	k->add_policy = k_ok2;
	k->query_policy = k_query_policy;
	k->del_policy = k_ok2;
	k->flush_policies = k_ok0;
	k->bypass_socket = k_bypass;
	k->enable_udp_decap = k_decap;
	k->destroy = k_destroy;
	return k;
}

static char *p_name(plugin_t *this) { (void)this; return "bench-fake-kernel"; }

static int p_features(plugin_t *this, void **features)
{
	static feature_t f[2];
	(void)this;
	f[0].kind = FEATURE_CALLBACK;
	f[0].type = FEATURE_NONE;
	f[0].arg.cb.f = (void *)kernel_ipsec_register;
	f[0].arg.cb.data = (void *)fake_kernel_create;
	f[1].kind = FEATURE_PROVIDE;
	f[1].type = FEATURE_CUSTOM;
	f[1].arg.custom = "kernel-ipsec";
	*features = f;
	return 2;
}

static void p_destroy(plugin_t *this) { free(this); }

plugin_t *bench_fake_kernel_plugin_create(void);
plugin_t *bench_fake_kernel_plugin_create(void)
{
	plugin_t *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->get_name = p_name;
	p->get_features = p_features;
	p->destroy = p_destroy;
	return p;
}
