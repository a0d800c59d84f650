/*
 * loopback_bench: what the machine's kernel TCP loopback can do at best, measured the way
 * nvtcp's stack uses it, so that benchmark results can be read as a ratio to these limits.
 *
 *   rtt  polled round trip: the client sends a 72-byte request (an NVMe/TCP command capsule)
 *        and the server answers with 24 bytes (a response capsule). Both sides busy-poll
 *        non-blocking sockets, each pinned to its core; one request in flight.
 *   bw   single-stream bandwidth: one side sends 128 KiB writes as fast as it can, the other
 *        receives with busy polling; measured in both directions (server to client is the
 *        direction of read data, client to server of write data).
 *
 * Only plain socket calls are used, so the figures are the kernel's, not nvtcp's. The result
 * goes to stdout as text, or as one JSON object with --json (scripts/bench reads that).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define TOOL "loopback_bench"
#define MAX_MSG 65536
#define MAX_CHUNK (1 << 20)

struct cfg {
	int server_core;
	int client_core;
	double seconds;
	size_t req;
	size_t resp;
	size_t chunk;
	bool rtt;
	bool bw;
	bool json;
};

struct rtt_result {
	uint64_t samples;
	double avg_us;
	double min_us;
	double p50_us;
	double p99_us;
	double max_us;
};

/* Shared between the two threads of one test. */
struct pair {
	const struct cfg *cfg;
	int lfd;
	int port;
	atomic_bool stop;
	atomic_int ready;
	int err;
	/* bw */
	bool server_sends;
	uint64_t bytes;
	double secs;
	/* rtt */
	struct rtt_result rtt;
};

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int
pin(int core)
{
	cpu_set_t set;

	if (core < 0) {
		return 0;
	}
	CPU_ZERO(&set);
	CPU_SET(core, &set);
	return pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static int
sock_setup(int fd)
{
	int one = 1;

	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0) {
		return -errno;
	}
	return 0;
}

static int
set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0 ? -errno : 0;
}

/* Busy-poll until exactly len bytes are read (or stop/EOF/error). */
static int
recv_all(struct pair *p, int fd, char *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = recv(fd, buf + got, len - got, 0);

		if (n > 0) {
			got += (size_t)n;
		} else if (n == 0) {
			return -ECONNRESET;
		} else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
			return -errno;
		} else if (atomic_load_explicit(&p->stop, memory_order_relaxed)) {
			return -ECANCELED;
		}
	}
	return 0;
}

static int
send_all(struct pair *p, int fd, const char *buf, size_t len)
{
	size_t sent = 0;

	while (sent < len) {
		ssize_t n = send(fd, buf + sent, len - sent, MSG_NOSIGNAL);

		if (n > 0) {
			sent += (size_t)n;
		} else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
			return -errno;
		} else if (atomic_load_explicit(&p->stop, memory_order_relaxed)) {
			return -ECANCELED;
		}
	}
	return 0;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void *
server_main(void *arg)
{
	struct pair *p = arg;
	char *buf = calloc(1, MAX_CHUNK);
	int fd = -1, rc = 0;

	if (buf == NULL || pin(p->cfg->server_core) != 0) {
		p->err = buf == NULL ? -ENOMEM : -EINVAL;
		atomic_store(&p->stop, true);
		free(buf);
		return NULL;
	}
	atomic_fetch_add(&p->ready, 1);
	fd = accept(p->lfd, NULL, NULL);
	if (fd < 0 || sock_setup(fd) != 0 || set_nonblock(fd) != 0) {
		p->err = -errno;
		atomic_store(&p->stop, true);
		goto out;
	}
	if (p->cfg->rtt && !p->cfg->bw) {
		while (rc == 0) {
			rc = recv_all(p, fd, buf, p->cfg->req);
			if (rc == 0) {
				rc = send_all(p, fd, buf, p->cfg->resp);
			}
		}
	} else if (p->server_sends) {
		while (!atomic_load_explicit(&p->stop, memory_order_relaxed)) {
			ssize_t n = send(fd, buf, p->cfg->chunk, MSG_NOSIGNAL);

			if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
				break;
			}
		}
	} else {
		uint64_t bytes = 0, t0 = 0;

		while (!atomic_load_explicit(&p->stop, memory_order_relaxed)) {
			ssize_t n = recv(fd, buf, p->cfg->chunk, 0);

			if (n > 0) {
				if (t0 == 0) {
					t0 = now_ns();
				}
				bytes += (uint64_t)n;
			} else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
				break;
			}
		}
		p->bytes = bytes;
		p->secs = t0 != 0 ? (double)(now_ns() - t0) / 1e9 : 0;
	}
out:
	if (fd >= 0) {
		close(fd);
	}
	free(buf);
	return NULL;
}

static int
client_connect(struct pair *p)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)p->port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0) {
		return -errno;
	}
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || sock_setup(fd) != 0 ||
	    set_nonblock(fd) != 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

static void
client_rtt(struct pair *p, int fd)
{
	size_t cap = 1 << 20, n = 0;
	uint64_t *lat = malloc(cap * sizeof(*lat)), sum = 0, start, end, warm;
	char req[MAX_MSG], resp[MAX_MSG];
	int rc = 0;

	if (lat == NULL) {
		p->err = -ENOMEM;
		return;
	}
	memset(req, 0x5a, sizeof(req));
	start = now_ns();
	/* A tenth of the time (at most 0.5 s) warms caches and the scheduler up, unmeasured. */
	warm = start + (uint64_t)(p->cfg->seconds * 1e8 < 5e8 ? p->cfg->seconds * 1e8 : 5e8);
	end = start + (uint64_t)(p->cfg->seconds * 1e9);
	for (;;) {
		uint64_t t0 = now_ns(), t1;

		if (t0 >= end) {
			break;
		}
		rc = send_all(p, fd, req, p->cfg->req);
		if (rc == 0) {
			rc = recv_all(p, fd, resp, p->cfg->resp);
		}
		if (rc != 0) {
			p->err = rc;
			break;
		}
		t1 = now_ns();
		if (t0 < warm) {
			continue;
		}
		if (n == cap) {
			uint64_t *bigger = realloc(lat, cap * 2 * sizeof(*lat));

			if (bigger == NULL) {
				break;
			}
			lat = bigger;
			cap *= 2;
		}
		lat[n++] = t1 - t0;
		sum += t1 - t0;
	}
	if (n > 0) {
		qsort(lat, n, sizeof(*lat), cmp_u64);
		p->rtt.samples = n;
		p->rtt.avg_us = (double)sum / (double)n / 1000.0;
		p->rtt.min_us = (double)lat[0] / 1000.0;
		p->rtt.p50_us = (double)lat[n / 2] / 1000.0;
		p->rtt.p99_us = (double)lat[(n * 99) / 100] / 1000.0;
		p->rtt.max_us = (double)lat[n - 1] / 1000.0;
	}
	free(lat);
}

static void
client_bw(struct pair *p, int fd)
{
	char *buf = calloc(1, MAX_CHUNK);
	uint64_t end = now_ns() + (uint64_t)(p->cfg->seconds * 1e9), bytes = 0, t0 = 0;

	if (buf == NULL) {
		p->err = -ENOMEM;
		return;
	}
	while (now_ns() < end) {
		ssize_t n;

		if (p->server_sends) {
			n = recv(fd, buf, p->cfg->chunk, 0);
			if (n > 0) {
				if (t0 == 0) {
					t0 = now_ns();
				}
				bytes += (uint64_t)n;
			}
		} else {
			n = send(fd, buf, p->cfg->chunk, MSG_NOSIGNAL);
		}
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
			p->err = n == 0 ? -ECONNRESET : -errno;
			break;
		}
	}
	if (p->server_sends) {
		p->bytes = bytes;
		p->secs = t0 != 0 ? (double)(now_ns() - t0) / 1e9 : 0;
	}
	free(buf);
}

static int
run_pair(const struct cfg *cfg, bool rtt, bool server_sends, struct pair *p)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t slen = sizeof(sa);
	struct cfg c = *cfg;
	pthread_t th;
	int fd, one = 1;

	c.rtt = rtt;
	c.bw = !rtt;
	memset(p, 0, sizeof(*p));
	p->cfg = &c;
	p->server_sends = server_sends;
	p->lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (p->lfd < 0) {
		return -errno;
	}
	setsockopt(p->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(p->lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(p->lfd, 1) != 0 ||
	    getsockname(p->lfd, (struct sockaddr *)&sa, &slen) != 0) {
		int e = -errno;

		close(p->lfd);
		return e;
	}
	p->port = ntohs(sa.sin_port);
	if (pthread_create(&th, NULL, server_main, p) != 0) {
		close(p->lfd);
		return -EAGAIN;
	}
	if (pin(c.client_core) != 0) {
		fprintf(stderr, "%s: cannot pin to core %d\n", TOOL, c.client_core);
	}
	fd = client_connect(p);
	if (fd < 0) {
		p->err = fd;
	} else {
		if (rtt) {
			client_rtt(p, fd);
		} else {
			client_bw(p, fd);
		}
	}
	atomic_store(&p->stop, true);
	if (fd >= 0) {
		shutdown(fd, SHUT_RDWR);
		close(fd);
	}
	pthread_join(th, NULL);
	close(p->lfd);
	p->cfg = NULL;
	return p->err;
}

static void
usage(FILE *f)
{
	fprintf(f,
		"Usage: " TOOL " [options]\n"
		"Measures kernel TCP loopback limits with busy-polled non-blocking sockets.\n\n"
		"  -m, --mode MODE     rtt, bw or all (default all)\n"
		"  -s, --server-core N core of the server (the target side; default 0)\n"
		"  -c, --client-core N core of the client (the host side; default 1)\n"
		"  -t, --time SEC      seconds per measurement (default 2)\n"
		"      --req BYTES     request size of the round trip (default 72)\n"
		"      --resp BYTES    reply size of the round trip (default 24)\n"
		"      --chunk BYTES   send size of the bandwidth test (default 131072)\n"
		"      --json          one JSON object on stdout\n"
		"  -h, --help          this help\n");
}

static int
parse_num(const char *arg, long min, long max, long *v)
{
	char *end;

	errno = 0;
	*v = strtol(arg, &end, 10);
	return errno != 0 || end == arg || *end != '\0' || *v < min || *v > max ? -EINVAL : 0;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"mode", required_argument, NULL, 'm'},
		{"server-core", required_argument, NULL, 's'},
		{"client-core", required_argument, NULL, 'c'},
		{"time", required_argument, NULL, 't'},
		{"req", required_argument, NULL, 1},
		{"resp", required_argument, NULL, 2},
		{"chunk", required_argument, NULL, 3},
		{"json", no_argument, NULL, 4},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct cfg cfg = {.server_core = 0, .client_core = 1, .seconds = 2, .req = 72, .resp = 24,
			  .chunk = 131072, .rtt = true, .bw = true};
	struct pair rtt, s2c, c2s;
	int ch, rc = 0;
	long v;

	while ((ch = getopt_long(argc, argv, "m:s:c:t:h", lo, NULL)) != -1) {
		switch (ch) {
		case 'm':
			cfg.rtt = strcmp(optarg, "rtt") == 0 || strcmp(optarg, "all") == 0;
			cfg.bw = strcmp(optarg, "bw") == 0 || strcmp(optarg, "all") == 0;
			if (!cfg.rtt && !cfg.bw) {
				fprintf(stderr, "%s: -m: unknown mode '%s' (rtt, bw, all)\n", TOOL,
					optarg);
				return 2;
			}
			break;
		case 's':
		case 'c':
			if (parse_num(optarg, -1, CPU_SETSIZE - 1, &v) != 0) {
				fprintf(stderr, "%s: -%c: '%s' is not a core number\n", TOOL, ch,
					optarg);
				return 2;
			}
			*(ch == 's' ? &cfg.server_core : &cfg.client_core) = (int)v;
			break;
		case 't':
			if (parse_num(optarg, 1, 3600, &v) != 0) {
				fprintf(stderr, "%s: -t: '%s' is not 1..3600 seconds\n", TOOL, optarg);
				return 2;
			}
			cfg.seconds = (double)v;
			break;
		case 1:
		case 2:
			if (parse_num(optarg, 1, MAX_MSG, &v) != 0) {
				fprintf(stderr, "%s: --%s: '%s' is not 1..%d bytes\n", TOOL,
					ch == 1 ? "req" : "resp", optarg, MAX_MSG);
				return 2;
			}
			*(ch == 1 ? &cfg.req : &cfg.resp) = (size_t)v;
			break;
		case 3:
			if (parse_num(optarg, 1, MAX_CHUNK, &v) != 0) {
				fprintf(stderr, "%s: --chunk: '%s' is not 1..%d bytes\n", TOOL, optarg,
					MAX_CHUNK);
				return 2;
			}
			cfg.chunk = (size_t)v;
			break;
		case 4:
			cfg.json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", TOOL, argv[optind]);
		return 2;
	}
	memset(&rtt, 0, sizeof(rtt));
	memset(&s2c, 0, sizeof(s2c));
	memset(&c2s, 0, sizeof(c2s));
	if (cfg.rtt && (rc = run_pair(&cfg, true, false, &rtt)) != 0) {
		fprintf(stderr, "%s: rtt: %s\n", TOOL, strerror(-rc));
		return 1;
	}
	if (cfg.rtt && rtt.rtt.samples == 0) {
		/* Not one round trip after the warm-up: the machine was starved; no figure. */
		fprintf(stderr, "%s: rtt: no round trip completed in %.0f s\n", TOOL, cfg.seconds);
		return 1;
	}
	if (cfg.bw && ((rc = run_pair(&cfg, false, true, &s2c)) != 0 ||
		       (rc = run_pair(&cfg, false, false, &c2s)) != 0)) {
		fprintf(stderr, "%s: bw: %s\n", TOOL, strerror(-rc));
		return 1;
	}
	if (cfg.json) {
		printf("{\"tool\": \"" TOOL "\", \"server_core\": %d, \"client_core\": %d, "
		       "\"seconds\": %.0f", cfg.server_core, cfg.client_core, cfg.seconds);
		if (cfg.rtt) {
			printf(", \"rtt\": {\"req_bytes\": %zu, \"resp_bytes\": %zu, \"samples\": %"
			       "lu, \"avg_us\": %.3f, \"min_us\": %.3f, \"p50_us\": %.3f, \"p99_us\": "
			       "%.3f, \"max_us\": %.3f}", cfg.req, cfg.resp,
			       (unsigned long)rtt.rtt.samples, rtt.rtt.avg_us, rtt.rtt.min_us,
			       rtt.rtt.p50_us, rtt.rtt.p99_us, rtt.rtt.max_us);
		}
		if (cfg.bw) {
			printf(", \"bw\": {\"chunk_bytes\": %zu, \"server_to_client_mib_s\": %.1f, "
			       "\"client_to_server_mib_s\": %.1f}", cfg.chunk,
			       s2c.secs > 0 ? (double)s2c.bytes / s2c.secs / 1048576.0 : 0.0,
			       c2s.secs > 0 ? (double)c2s.bytes / c2s.secs / 1048576.0 : 0.0);
		}
		printf("}\n");
		return 0;
	}
	printf("loopback TCP, server on core %d, client on core %d, busy polling:\n",
	       cfg.server_core, cfg.client_core);
	if (cfg.rtt) {
		printf("  round trip %zu B -> %zu B: avg %.2f us, min %.2f, p50 %.2f, p99 %.2f, "
		       "max %.2f (%lu samples)\n", cfg.req, cfg.resp, rtt.rtt.avg_us, rtt.rtt.min_us,
		       rtt.rtt.p50_us, rtt.rtt.p99_us, rtt.rtt.max_us,
		       (unsigned long)rtt.rtt.samples);
	}
	if (cfg.bw) {
		printf("  single stream, %zu-byte sends: server->client %.1f MiB/s, client->server "
		       "%.1f MiB/s\n", cfg.chunk,
		       s2c.secs > 0 ? (double)s2c.bytes / s2c.secs / 1048576.0 : 0.0,
		       c2s.secs > 0 ? (double)c2s.bytes / c2s.secs / 1048576.0 : 0.0);
	}
	return 0;
}
