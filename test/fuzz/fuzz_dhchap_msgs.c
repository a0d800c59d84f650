/*
 * libFuzzer harness: the DH-HMAC-CHAP transaction engines (lib/auth/dhchap_host.c,
 * dhchap_ctrl.c) fed arbitrary AUTH messages.
 *
 * Input: one configuration byte, then messages, each a little-endian 16-bit length and that
 * many bytes (a short last one takes what is left).
 *   cfg bit 0: controller role (else host); bit 1: bidirectional (the host holds a
 *   controller secret); bit 2: ffdhe2048 allowed besides the null group (DH is costly, so
 *   bigger groups are left to the unit tests); bit 3: the host may only use SHA-256.
 * The host role builds its Negotiate, then takes a message whenever it waits for one and
 * builds whatever it must send; the controller role takes every message as an
 * Authentication Send and answers whatever is due.
 *
 * Contracts checked: process() returns 0 or -EINVAL, build() fits its buffer, the next step
 * is always one of the four, an explanation the engine chose itself is a defined one (1..7),
 * a finished transaction takes nothing more, and the controller never completes successfully:
 * that would need the right response to its random challenge, i.e. the host secret.
 *
 * FUZZ_DHCHAP_MSGS_SEEDS=<dir>: instead of fuzzing, run real exchanges between the two
 * engines and write what each side received as seeds (make corpus).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "nvtcp/auth.h"

#define HOSTNQN "nqn.2014-08.org.nvmexpress:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6"
#define SUBNQN "nqn.2016-06.io.spdk:cnode1"
#define HOST_SECRET "DHHC-1:01:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:"
#define CTRL_SECRET                                                                            \
	"DHHC-1:00:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vcSEgBQ==:"

static struct nvtcp_auth_secret g_host_secret, g_ctrl_secret;
static uint8_t g_out[NVTCP_AUTH_MSG_MAX_LEN];

static void
params(uint8_t cfg, struct nvtcp_auth_host_params *hp, struct nvtcp_auth_ctrl_params *cp)
{
	uint32_t dh = NVTCP_AUTH_DHGROUP_BIT(NVTCP_AUTH_DHGROUP_NULL);

	if (cfg & 4) {
		dh |= NVTCP_AUTH_DHGROUP_BIT(NVTCP_AUTH_DHGROUP_2048);
	}
	memset(hp, 0, sizeof(*hp));
	hp->hostnqn = HOSTNQN;
	hp->subnqn = SUBNQN;
	hp->host_secret = &g_host_secret;
	hp->ctrl_secret = (cfg & 2) ? &g_ctrl_secret : NULL;
	hp->hash_mask = (cfg & 8) ? NVTCP_AUTH_HASH_BIT(NVTCP_AUTH_HASH_SHA256) : 0;
	hp->dhgroup_mask = dh;
	hp->t_id = 7;
	hp->seqnum = 0x100;
	memset(cp, 0, sizeof(*cp));
	cp->hostnqn = HOSTNQN;
	cp->subnqn = SUBNQN;
	cp->host_secret = &g_host_secret;
	cp->ctrl_secret = &g_ctrl_secret;
	cp->dhgroup_mask = dh;
	cp->seqnum = 0x200;
}

static void
write_seed(const char *dir, const char *name, const uint8_t *buf, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(buf, 1, len, f) != len) {
		fprintf(stderr, "fuzz_dhchap_msgs: cannot write %s\n", path);
		exit(1);
	}
	fclose(f);
}

static size_t
append(uint8_t *seed, size_t at, const uint8_t *msg, size_t len)
{
	seed[at] = (uint8_t)len;
	seed[at + 1] = (uint8_t)(len >> 8);
	memcpy(seed + at + 2, msg, len);
	return at + 2 + len;
}

/* A real exchange for each configuration; what the host received and what the controller
 * received become one seed each. */
static void
make_seeds(const char *dir)
{
	static uint8_t hseed[4 * (NVTCP_AUTH_MSG_MAX_LEN + 2) + 1];
	static uint8_t cseed[4 * (NVTCP_AUTH_MSG_MAX_LEN + 2) + 1];

	for (uint8_t cfg = 0; cfg < 16; cfg += 2) {
		struct nvtcp_auth_host_params hp;
		struct nvtcp_auth_ctrl_params cp;
		struct nvtcp_auth_host *h = NULL;
		struct nvtcp_auth_ctrl *c = NULL;
		size_t hl = 1, cl = 1;
		char name[32];
		int n;

		params(cfg, &hp, &cp);
		CHECK(nvtcp_auth_host_create(&hp, &h) == 0);
		CHECK(nvtcp_auth_ctrl_create(&cp, &c) == 0);
		hseed[0] = cfg;
		cseed[0] = cfg | 1;
		for (int i = 0; i < 8; i++) {
			enum nvtcp_auth_next next = nvtcp_auth_host_next(h);

			if (next == NVTCP_AUTH_NEXT_SEND) {
				n = nvtcp_auth_host_build(h, g_out, sizeof(g_out));
				CHECK(n > 0);
				cl = append(cseed, cl, g_out, (size_t)n);
				CHECK(nvtcp_auth_ctrl_process(c, g_out, (size_t)n) == 0);
			} else if (next == NVTCP_AUTH_NEXT_RECV) {
				n = nvtcp_auth_ctrl_build(c, g_out, sizeof(g_out));
				CHECK(n > 0);
				hl = append(hseed, hl, g_out, (size_t)n);
				CHECK(nvtcp_auth_host_process(h, g_out, (size_t)n) == 0);
			} else {
				break;
			}
		}
		CHECK(nvtcp_auth_host_next(h) == NVTCP_AUTH_NEXT_DONE);
		snprintf(name, sizeof(name), "host_%02u", cfg);
		write_seed(dir, name, hseed, hl);
		snprintf(name, sizeof(name), "ctrl_%02u", cfg | 1);
		write_seed(dir, name, cseed, cl);
		nvtcp_auth_host_free(h);
		nvtcp_auth_ctrl_free(c);
	}
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *seeds = getenv("FUZZ_DHCHAP_MSGS_SEEDS");

	(void)argc;
	(void)argv;
	nvtcp_log_set_callback(fuzz_log_discard);
	CHECK(nvtcp_auth_secret_parse(HOST_SECRET, &g_host_secret, NULL, 0) == 0);
	CHECK(nvtcp_auth_secret_parse(CTRL_SECRET, &g_ctrl_secret, NULL, 0) == 0);
	if (seeds != NULL) {
		make_seeds(seeds);
		exit(0);
	}
	return 0;
}

/* The next message of the input, or false when none is left. */
static bool
next_msg(const uint8_t **data, size_t *size, const uint8_t **msg, size_t *len)
{
	size_t want;

	if (*size < 2) {
		return false;
	}
	want = (size_t)(*data)[0] | (size_t)(*data)[1] << 8;
	*data += 2;
	*size -= 2;
	*len = want < *size ? want : *size;
	*msg = *data;
	*data += *len;
	*size -= *len;
	return true;
}

static void
run_host(uint8_t cfg, const uint8_t *data, size_t size)
{
	struct nvtcp_auth_host_params hp;
	struct nvtcp_auth_ctrl_params cp;
	struct nvtcp_auth_host *h = NULL;
	const uint8_t *msg;
	size_t len;
	bool by;
	int rc;

	params(cfg, &hp, &cp);
	CHECK(nvtcp_auth_host_create(&hp, &h) == 0);
	for (;;) {
		enum nvtcp_auth_next next = nvtcp_auth_host_next(h);

		if (next == NVTCP_AUTH_NEXT_SEND) {
			rc = nvtcp_auth_host_build(h, g_out, sizeof(g_out));
			CHECK(rc > 0 && (size_t)rc <= sizeof(g_out));
		} else if (next == NVTCP_AUTH_NEXT_RECV) {
			if (!next_msg(&data, &size, &msg, &len)) {
				break;
			}
			rc = nvtcp_auth_host_process(h, msg, len);
			CHECK(rc == 0 || rc == -EINVAL);
		} else {
			CHECK(next == NVTCP_AUTH_NEXT_DONE || next == NVTCP_AUTH_NEXT_FAILED);
			if (next_msg(&data, &size, &msg, &len)) {
				CHECK(nvtcp_auth_host_process(h, msg, len) == -EINVAL);
			}
			CHECK(nvtcp_auth_host_build(h, g_out, sizeof(g_out)) == -EINVAL);
			if (next == NVTCP_AUTH_NEXT_FAILED) {
				uint8_t exp = nvtcp_auth_host_failure(h, &by, NULL);

				CHECK(by || (exp >= 1 && exp <= 7));
			}
			break;
		}
	}
	nvtcp_auth_host_free(h);
}

static void
run_ctrl(uint8_t cfg, const uint8_t *data, size_t size)
{
	struct nvtcp_auth_host_params hp;
	struct nvtcp_auth_ctrl_params cp;
	struct nvtcp_auth_ctrl *c = NULL;
	const uint8_t *msg;
	size_t len;
	bool by;
	int rc;

	params(cfg, &hp, &cp);
	CHECK(nvtcp_auth_ctrl_create(&cp, &c) == 0);
	while (next_msg(&data, &size, &msg, &len)) {
		enum nvtcp_auth_next before = nvtcp_auth_ctrl_next(c);

		rc = nvtcp_auth_ctrl_process(c, msg, len);
		CHECK(rc == 0 || rc == -EINVAL);
		if (before == NVTCP_AUTH_NEXT_FAILED) {
			CHECK(rc == -EINVAL);
		}
		while (nvtcp_auth_ctrl_next(c) == NVTCP_AUTH_NEXT_SEND) {
			rc = nvtcp_auth_ctrl_build(c, g_out, sizeof(g_out));
			CHECK(rc > 0 && (size_t)rc <= sizeof(g_out));
		}
		CHECK(nvtcp_auth_ctrl_next(c) != NVTCP_AUTH_NEXT_DONE);
		if (nvtcp_auth_ctrl_next(c) == NVTCP_AUTH_NEXT_FAILED) {
			uint8_t exp = nvtcp_auth_ctrl_failure(c, &by, NULL);

			CHECK(by || (exp >= 1 && exp <= 7));
		}
	}
	nvtcp_auth_ctrl_free(c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0) {
		return 0;
	}
	if (data[0] & 1) {
		run_ctrl(data[0], data + 1, size - 1);
	} else {
		run_host(data[0], data + 1, size - 1);
	}
	return 0;
}
