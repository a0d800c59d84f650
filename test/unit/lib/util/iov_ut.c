/*
 * Unit tests of lib/util/iov.c: length, slices across element boundaries, copies in and out.
 */
#include <errno.h>
#include <string.h>

#include "nvtcp/util.h"

#include "ut.h"

/* 3 + 0 + 5 + 8 = 16 bytes; the empty element must be harmless. */
static char g_a[3], g_b[1], g_c[5], g_d[8];
static struct iovec g_iov[4];

static void
iov_setup(void)
{
	g_iov[0] = (struct iovec){g_a, sizeof(g_a)};
	g_iov[1] = (struct iovec){g_b, 0};
	g_iov[2] = (struct iovec){g_c, sizeof(g_c)};
	g_iov[3] = (struct iovec){g_d, sizeof(g_d)};
}

static void
test_length(void)
{
	iov_setup();
	CU_ASSERT_EQUAL(nvtcp_iov_length(g_iov, 4), 16);
	CU_ASSERT_EQUAL(nvtcp_iov_length(g_iov, 1), 3);
	CU_ASSERT_EQUAL(nvtcp_iov_length(g_iov, 0), 0);
	CU_ASSERT_EQUAL(nvtcp_iov_length(NULL, 0), 0);
}

static void
test_slice(void)
{
	struct iovec out[4];
	int n;

	iov_setup();
	/* Whole list: the empty element is dropped. */
	n = nvtcp_iov_slice(g_iov, 4, 0, 16, out, 4);
	CU_ASSERT_EQUAL(n, 3);
	CU_ASSERT(out[0].iov_base == g_a && out[0].iov_len == 3);
	CU_ASSERT(out[1].iov_base == g_c && out[1].iov_len == 5);
	CU_ASSERT(out[2].iov_base == g_d && out[2].iov_len == 8);

	/* Inside one element. */
	n = nvtcp_iov_slice(g_iov, 4, 4, 2, out, 4);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT(out[0].iov_base == g_c + 1 && out[0].iov_len == 2);

	/* Across three elements, starting and ending mid-element. */
	n = nvtcp_iov_slice(g_iov, 4, 2, 10, out, 4);
	CU_ASSERT_EQUAL(n, 3);
	CU_ASSERT(out[0].iov_base == g_a + 2 && out[0].iov_len == 1);
	CU_ASSERT(out[1].iov_base == g_c && out[1].iov_len == 5);
	CU_ASSERT(out[2].iov_base == g_d && out[2].iov_len == 4);
	CU_ASSERT_EQUAL(nvtcp_iov_length(out, n), 10);

	/* Starting exactly on a boundary. */
	n = nvtcp_iov_slice(g_iov, 4, 8, 8, out, 4);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT(out[0].iov_base == g_d && out[0].iov_len == 8);

	/* Empty slices, including at the very end. */
	CU_ASSERT_EQUAL(nvtcp_iov_slice(g_iov, 4, 5, 0, out, 4), 0);
	CU_ASSERT_EQUAL(nvtcp_iov_slice(g_iov, 4, 16, 0, out, 0), 0);
}

static void
test_slice_errors(void)
{
	struct iovec out[4];

	iov_setup();
	CU_ASSERT_EQUAL(nvtcp_iov_slice(g_iov, 4, 0, 17, out, 4), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_iov_slice(g_iov, 4, 17, 0, out, 4), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_iov_slice(g_iov, 4, 10, 7, out, 4), -EINVAL);
	/* offset + len overflowing size_t must not wrap into range. */
	CU_ASSERT_EQUAL(nvtcp_iov_slice(g_iov, 4, 8, SIZE_MAX, out, 4), -EINVAL);
	CU_ASSERT_EQUAL(nvtcp_iov_slice(g_iov, -1, 0, 0, out, 4), -EINVAL);
	/* Needs 3 entries. */
	CU_ASSERT_EQUAL(nvtcp_iov_slice(g_iov, 4, 0, 16, out, 2), -ENOBUFS);
	CU_ASSERT_EQUAL(nvtcp_iov_slice(g_iov, 4, 0, 1, out, 0), -ENOBUFS);
}

static void
test_copy(void)
{
	char src[16], dst[16];

	iov_setup();
	for (int i = 0; i < 16; i++) {
		src[i] = (char)('a' + i);
	}
	memset(g_a, 0, sizeof(g_a));
	memset(g_c, 0, sizeof(g_c));
	memset(g_d, 0, sizeof(g_d));
	CU_ASSERT_EQUAL(nvtcp_iov_from_buf(g_iov, 4, 0, src, 16), 16);
	CU_ASSERT_EQUAL(memcmp(g_a, "abc", 3), 0);
	CU_ASSERT_EQUAL(memcmp(g_c, "defgh", 5), 0);
	CU_ASSERT_EQUAL(memcmp(g_d, "ijklmnop", 8), 0);

	memset(dst, 0, sizeof(dst));
	CU_ASSERT_EQUAL(nvtcp_iov_to_buf(g_iov, 4, 2, dst, 7), 7);
	CU_ASSERT_EQUAL(memcmp(dst, "cdefghi", 7), 0);

	/* Writing at an offset across a boundary. */
	CU_ASSERT_EQUAL(nvtcp_iov_from_buf(g_iov, 4, 6, "XYZW", 4), 4);
	CU_ASSERT_EQUAL(memcmp(g_c, "defXY", 5), 0);
	CU_ASSERT_EQUAL(memcmp(g_d, "ZWklmnop", 8), 0);

	/* Short lists: fewer bytes, no overrun. */
	CU_ASSERT_EQUAL(nvtcp_iov_to_buf(g_iov, 4, 12, dst, 10), 4);
	CU_ASSERT_EQUAL(memcmp(dst, "mnop", 4), 0);
	CU_ASSERT_EQUAL(nvtcp_iov_from_buf(g_iov, 4, 14, "12345", 5), 2);
	CU_ASSERT_EQUAL(memcmp(g_d + 6, "12", 2), 0);
	CU_ASSERT_EQUAL(nvtcp_iov_to_buf(g_iov, 4, 16, dst, 1), 0);
	CU_ASSERT_EQUAL(nvtcp_iov_to_buf(g_iov, 4, 100, dst, 1), 0);
	CU_ASSERT_EQUAL(nvtcp_iov_to_buf(g_iov, 4, 0, dst, 0), 0);
}

static void
add_tests(void)
{
	CU_pSuite s = CU_add_suite("iov", NULL, NULL);

	CU_ADD_TEST(s, test_length);
	CU_ADD_TEST(s, test_slice);
	CU_ADD_TEST(s, test_slice_errors);
	CU_ADD_TEST(s, test_copy);
}

NVTCP_UT_MAIN(add_tests)
