/*
 * Unit tests of lib/util/crc32c.c against the standard CRC32C vectors (RFC 3720, B.4).
 */
#include <string.h>

#include "nvtcp/crc32c.h"

#include "ut.h"

static void
test_vectors(void)
{
	uint8_t buf[32];

	memset(buf, 0x00, sizeof(buf));
	CU_ASSERT_EQUAL(nvtcp_crc32c(buf, sizeof(buf)), 0x8A9136AAu);
	memset(buf, 0xFF, sizeof(buf));
	CU_ASSERT_EQUAL(nvtcp_crc32c(buf, sizeof(buf)), 0x62A8AB43u);
	for (int i = 0; i < 32; i++) {
		buf[i] = (uint8_t)i;
	}
	CU_ASSERT_EQUAL(nvtcp_crc32c(buf, sizeof(buf)), 0x46DD794Eu);
	for (int i = 0; i < 32; i++) {
		buf[i] = (uint8_t)(31 - i);
	}
	CU_ASSERT_EQUAL(nvtcp_crc32c(buf, sizeof(buf)), 0x113FDB5Cu);
	/* The check value of the Castagnoli CRC. */
	CU_ASSERT_EQUAL(nvtcp_crc32c("123456789", 9), 0xE3069283u);
	/* Empty input. */
	CU_ASSERT_EQUAL(nvtcp_crc32c(buf, 0), 0);
}

static void
test_incremental(void)
{
	uint8_t buf[1000];
	uint32_t flat, crc;

	for (size_t i = 0; i < sizeof(buf); i++) {
		buf[i] = (uint8_t)(i * 7 + 3);
	}
	flat = nvtcp_crc32c(buf, sizeof(buf));
	/* Any split gives the same digest. */
	for (size_t cut = 0; cut <= sizeof(buf); cut += 37) {
		crc = nvtcp_crc32c_update(NVTCP_CRC32C_INIT, buf, cut);
		crc = nvtcp_crc32c_update(crc, buf + cut, sizeof(buf) - cut);
		CU_ASSERT_EQUAL(nvtcp_crc32c_finish(crc), flat);
	}
}

static void
test_iov(void)
{
	uint8_t buf[100];
	struct iovec iov[4] = {
		{buf, 10}, {buf + 10, 0}, {buf + 10, 33}, {buf + 43, 57},
	};

	for (size_t i = 0; i < sizeof(buf); i++) {
		buf[i] = (uint8_t)(i ^ 0x5a);
	}
	/* Whole list. */
	CU_ASSERT_EQUAL(nvtcp_crc32c_finish(nvtcp_crc32c_update_iov(NVTCP_CRC32C_INIT, iov, 4, 0,
								  100)),
			nvtcp_crc32c(buf, 100));
	/* Every skip and length combination on a grid equals the flat digest of that range. */
	for (size_t skip = 0; skip <= 100; skip += 7) {
		for (size_t len = 0; skip + len <= 100; len += 11) {
			uint32_t crc = nvtcp_crc32c_update_iov(NVTCP_CRC32C_INIT, iov, 4, skip, len);

			CU_ASSERT_EQUAL(nvtcp_crc32c_finish(crc), nvtcp_crc32c(buf + skip, len));
		}
	}
	/* A length beyond the list stops at its end. */
	CU_ASSERT_EQUAL(nvtcp_crc32c_finish(nvtcp_crc32c_update_iov(NVTCP_CRC32C_INIT, iov, 4, 90,
								  1000)),
			nvtcp_crc32c(buf + 90, 10));
}

static void
add_tests(void)
{
	CU_pSuite s = CU_add_suite("crc32c", NULL, NULL);

	CU_ADD_TEST(s, test_vectors);
	CU_ADD_TEST(s, test_incremental);
	CU_ADD_TEST(s, test_iov);
}

NVTCP_UT_MAIN(add_tests)
