#include "tend/common.h"
#include "tend/util/error.h"
#include "tend/modkit/facts_opts.h"

#include <ctype.h>

static void strip(const char **s, size_t *n)
{
	while (*n && isspace((unsigned char)**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n && isspace((unsigned char)(*s)[*n - 1]))
		(*n)--;
}

/*
 * gather_subset: Ansible 2.14's names (its collectors' and their facts'),
 * each to the group of facts tend gathers for it.
 */
static const struct {
	const char *name;
	unsigned int bits;
} subsets[] = {
	{ "platform", FACTS_PLATFORM }, { "architecture", FACTS_PLATFORM },
	{ "kernel", FACTS_PLATFORM }, { "kernel_version", FACTS_PLATFORM },
	{ "machine", FACTS_PLATFORM }, { "system", FACTS_PLATFORM },
	{ "distribution", FACTS_DISTRIBUTION },
	{ "distribution_version", FACTS_DISTRIBUTION },
	{ "distribution_release", FACTS_DISTRIBUTION },
	{ "distribution_major_version", FACTS_DISTRIBUTION },
	{ "os_family", FACTS_DISTRIBUTION },
	{ "service_mgr", FACTS_SERVICE_MGR }, { "pkg_mgr", FACTS_PKG_MGR },
	{ "python", FACTS_PYTHON }, { "python_version", FACTS_PYTHON },
	{ "local", FACTS_LOCAL }, { "env", FACTS_ENV },
	{ "user", FACTS_USER }, { "user_id", FACTS_USER },
	{ "user_uid", FACTS_USER }, { "user_gid", FACTS_USER },
	{ "user_gecos", FACTS_USER }, { "user_dir", FACTS_USER },
	{ "user_shell", FACTS_USER }, { "real_user_id", FACTS_USER },
	{ "effective_user_id", FACTS_USER },
	{ "effective_group_ids", FACTS_USER },
	{ "date_time", FACTS_DATE_TIME },
	{ "hardware", FACTS_HARDWARE }, { "processor", FACTS_HARDWARE },
	{ "processor_cores", FACTS_HARDWARE },
	{ "processor_count", FACTS_HARDWARE },
	{ "network", FACTS_NETWORK }, { "interfaces", FACTS_NETWORK },
	{ "default_ipv4", FACTS_NETWORK },
	{ "all_ipv4_addresses", FACTS_NETWORK },
};

/* Ansible 2.14's other subsets: tend does not gather their facts. */
static const char *const not_gathered[] = {
	"all_ipv6_addresses", "apparmor", "caps", "chroot", "cmdline",
	"default_ipv6", "devices", "dns", "facter", "fibre_channel_wwn", "fips",
	"is_chroot", "iscsi", "loadavg", "lsb", "machine_id", "mounts", "nvme",
	"ohai", "selinux", "ssh_host_key_dsa_public",
	"ssh_host_key_ecdsa_public", "ssh_host_key_ed25519_public",
	"ssh_host_key_rsa_public", "ssh_host_pub_keys", "ssh_pub_keys",
	"system_capabilities", "system_capabilities_enforced", "virtual",
	"virtualization_role", "virtualization_tech_guest",
	"virtualization_tech_host", "virtualization_type", NULL,
};

static int subset_bits(unsigned int *out, const char *name, bool neg)
{
	for (size_t i = 0; i < ARRAY_SIZE(subsets); i++)
		if (!strcmp(name, subsets[i].name)) {
			*out = subsets[i].bits;
			return 0;
		}
	for (const char *const *n = not_gathered; *n; n++)
		if (!strcmp(name, *n)) {
			*out = 0;
			if (neg)
				return 0;
			return tend_error_set("gather_subset '%s': tend does "
					      "not gather these facts (it "
					      "gathers: see docs/facts.md)",
					      name);
		}
	return tend_error_set("bad gather_subset '%s': not one of Ansible's "
			      "subsets (all, min, hardware, network, "
			      "platform, distribution, ...)", name);
}

/* One item of gather_subset into Ansible's three sets. */
static int subset_item(const char *s, unsigned int *add, unsigned int *excl,
		       unsigned int *expl)
{
	bool neg = *s == '!';
	unsigned int bits = 0;

	if (neg)
		s++;
	if (!strcmp(s, "all")) {
		*(neg ? excl : add) |= neg ? FACTS_ALL & ~FACTS_MIN : FACTS_ALL;
		return 0;
	}
	if (!strcmp(s, "min")) {
		*(neg ? excl : add) |= FACTS_MIN;
		return 0;
	}
	if (subset_bits(&bits, s, neg) < 0)
		return -1;
	*(neg ? excl : add) |= bits;
	if (!neg)
		*expl |= bits;
	return 0;
}

int facts_subsets(unsigned int *out, const struct val *subset)
{
	unsigned int add = FACTS_MIN, excl = 0, expl = 0;

	if (!subset) {
		*out = FACTS_ALL;
		return 0;
	}
	if (val_is(subset, VAL_STR)) {
		const char *p = val_cstr(subset);

		while (*p) {
			size_t n = strcspn(p, ",");
			const char *s = p;
			size_t len = n;
			char *item;
			int error;

			strip(&s, &len);
			item = xstrndup(s, len);
			error = subset_item(item, &add, &excl, &expl);
			free(item);
			if (error < 0)
				return -1;
			p += n + (p[n] == ',');
		}
	} else if (val_is(subset, VAL_LIST)) {
		for (size_t i = 0; i < val_len(subset); i++) {
			const char *s = val_cstr(val_list_at(subset, i));

			if (!s)
				return tend_error_set("gather_subset: each item "
						      "is a string");
			if (subset_item(s, &add, &excl, &expl) < 0)
				return -1;
		}
	} else {
		return tend_error_set("gather_subset is a list or a "
				      "comma-separated string");
	}
	*out = add & ~(excl & ~expl);
	/* what Ansible's collectors need besides (their required_facts) */
	if (*out & (FACTS_NETWORK | FACTS_SERVICE_MGR))
		*out |= FACTS_PLATFORM | FACTS_DISTRIBUTION;
	if (*out & FACTS_HARDWARE)
		*out |= FACTS_PLATFORM;
	if (*out & FACTS_PKG_MGR)
		*out |= FACTS_DISTRIBUTION;
	return 0;
}
