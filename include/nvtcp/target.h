/**
 * @file
 * The embedded NVMe/TCP target: listeners, NVM subsystems with namespaces, a discovery
 * subsystem, and the NVMe/TCP controller emulation that serves hosts on reactors.
 *
 * Two kinds of users:
 * - nvtcp_tgt, the stand-alone target application (one reactor per core of its mask);
 * - applications that embed a target in their own process (the perf app starts one on
 *   loopback with a RAM namespace, served by one of its own reactors).
 *
 * Threading model:
 * - The target belongs to the reactor that called nvtcp_tgt_create(), its *management
 *   reactor*. Every function of this header is called on that reactor (the callbacks also run
 *   there), except nvtcp_tgt_get_reactor_stats(), which any thread may call.
 * - Data reactors (opts.cores / opts.reactors) own connections: each accepted connection is
 *   handed to one of them (the one with the fewest connections, round robin among equals) and
 *   stays there for its life. Nothing on the I/O path takes a lock.
 * - A controller lives on the reactor of its admin queue; its I/O queues may live on other
 *   reactors and reach it by reactor messages.
 *
 * Life cycle: nvtcp_tgt_create() -> add subsystems, namespaces, hosts, listeners (before or
 * after nvtcp_tgt_start()) -> nvtcp_tgt_start() -> ... -> nvtcp_tgt_destroy() (asynchronous:
 * every host is disconnected, every resource freed, then the callback runs).
 *
 * Errors are negative errno values; functions that take \p err write a one-line message that
 * names the offending value there as well (may be NULL).
 *
 * Namespace backends (malloc, null, file, uring, or an application's own) implement the
 * interface of nvtcp/target_bdev.h.
 */
#ifndef NVTCP_TARGET_H
#define NVTCP_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct nvtcp_tgt;
struct nvtcp_reactor;

/** Most cores or reactors a target may spread connections over. */
#define NVTCP_TGT_MAX_REACTORS 128
/** Longest serial number (Identify Controller SN). */
#define NVTCP_TGT_SN_MAX_LEN 20
/** Longest model number (Identify Controller MN). */
#define NVTCP_TGT_MN_MAX_LEN 40

/** When a read may end with a C2HData PDU flagged SUCCESS instead of a CapsuleResp. */
enum nvtcp_tgt_c2h_success {
	/** Never: every command gets a CapsuleResp. */
	NVTCP_TGT_C2H_SUCCESS_OFF = 0,
	/**
	 * Only on queues whose host disabled SQ flow control in Connect (CATTR bit 2), since the
	 * CapsuleResp is what carries SQHD otherwise. This is what the specification requires
	 * and what the Linux target does. Default.
	 */
	NVTCP_TGT_C2H_SUCCESS_SQFLOW_DISABLED = 1,
	/** On every queue (SPDK's behaviour; every known host copes). */
	NVTCP_TGT_C2H_SUCCESS_ALWAYS = 2,
};

/** Target options. Initialise with nvtcp_tgt_opts_init(). */
struct nvtcp_tgt_opts {
	/** Largest I/O queue size a host may ask for (CAP.MQES + 1). Default 128; 2..4096. */
	uint32_t max_queue_depth;
	/** Largest admin queue size (Connect SQSIZE + 1 on queue 0). Default 32; 32..4096. */
	uint32_t max_admin_queue_depth;
	/** I/O queues per controller (Number of Queues). Default 64; 1..1024. */
	uint32_t max_io_queues;
	/**
	 * In-capsule data of I/O commands (IOCCSZ * 16 - 64). Default 16384 (as Linux);
	 * 8192..131072, a multiple of 16. Admin commands always get 8 KiB.
	 */
	uint32_t in_capsule_data_size;
	/** Largest transfer of one command (MDTS, with 4 KiB pages). Default 1 MiB; a power of
	 *  two, 4 KiB..4 MiB. */
	uint32_t max_io_size;
	/** MAXH2CDATA announced in ICResp. Default 128 KiB; >= 4096, a multiple of 4. */
	uint32_t maxh2cdata;
	/** Largest R2T (bytes requested by one R2T). Default = max_io_size (one R2T per write). */
	uint32_t max_r2t_len;
	/** Largest data of one C2HData PDU. Default = max_io_size (one PDU per read). */
	uint32_t max_c2h_len;
	/** Header digests may be granted when a host asks. Default true. */
	bool hdgst;
	/** Data digests may be granted when a host asks. Default true. */
	bool ddgst;
	/** CPDA announced in ICResp (0..31). Default 0. */
	uint8_t cpda;
	/** Use of the C2HData SUCCESS flag. Default NVTCP_TGT_C2H_SUCCESS_SQFLOW_DISABLED. */
	enum nvtcp_tgt_c2h_success c2h_success;
	/** Largest KATO (ms) a host may ask for; larger Connects fail. Default 3600000 (1 h). */
	uint32_t kato_max_ms;
	/** KATO given to discovery controllers whose host asks for none. Default 120000. */
	uint32_t discovery_kato_ms;
	/**
	 * A connection that has not completed Fabrics Connect this long after it was accepted is
	 * closed (a silent host cannot pin resources). Default 10000 ms; 0 = never.
	 */
	uint32_t connect_timeout_ms;
	/** Most connections at once (more are refused at accept). Default 1024. */
	uint32_t max_connections;
	/**
	 * Socket implementation of the reactors' socket groups (posix or uring, see
	 * enum nvtcp_sock_impl in nvtcp/sock.h). Default 0 = NVTCP_SOCK_IMPL_DEFAULT: the process
	 * default (nvtcp_sock_set_default_impl(), else $NVTCP_SOCK_IMPL, else posix).
	 */
	int sock_impl;
	/**
	 * Most connections from one source IP address, checked at accept before anything is
	 * allocated (bounds a host that lies about its NQN). Default 256; 0 = no limit.
	 */
	uint32_t max_connections_per_addr;
	/** Most connected queues (admin and I/O, any subsystem) of one host NQN; more Connects
	 *  get Controller Busy. Default 256; 0 = no limit. */
	uint32_t max_connections_per_host;
	/** Most I/O queues of one host NQN, over all its controllers (Controller Busy beyond).
	 *  Default 256; 0 = no limit. */
	uint32_t max_io_queues_per_host;
	/**
	 * Most queue entries (the sum of Connect SQSIZE + 1 of every queue) of one host NQN:
	 * each entry costs a request of ~5.8 KiB. Beyond: Connect Invalid Parameters on SQSIZE.
	 * Default 32768; 0 = no limit.
	 */
	uint32_t max_queue_entries_per_host;
	/** Most connected queues of one subsystem (the discovery subsystem included), for all
	 *  hosts together (Controller Busy beyond). Default 0 = no limit. */
	uint32_t max_connections_per_subsys;
	/**
	 * DH-HMAC-CHAP: most queues in a first authentication transaction at once through one
	 * listener, and from one source address (each may cost finite-field DH work, up to
	 * ffdhe8192). A Connect beyond either gets Controller Busy. Defaults 32 and 4; 0 = no
	 * limit.
	 */
	uint32_t max_auth_per_listener;
	uint32_t max_auth_per_addr;
	/** Longest wait for each step of an authentication transaction (the host's next
	 *  message); the connection is closed beyond it. Default 15000 ms; at least 100. */
	uint32_t auth_timeout_ms;
	/**
	 * Share (percent) of a data reactor's buffer pool that the queues of one host on that
	 * reactor may hold together; a host at its share waits for its own buffers. Default 75;
	 * 1..100.
	 */
	uint32_t host_buf_share;
	/** Size of one data buffer of the per-reactor pools. Default 64 KiB; 16 KiB..1 MiB, a
	 *  power of two. */
	uint32_t buf_size;
	/** Data buffers per reactor. Default 512; at least max_io_size / buf_size. */
	uint32_t buf_count;
	/** Receive buffer per connection. Default 64 KiB; at least 8 KiB. */
	uint32_t rxbuf_size;
	/**
	 * Cores whose launcher reactors may own connections (num_cores 0 = every core of the
	 * environment). Ignored when \p reactors is set.
	 */
	uint32_t cores[NVTCP_TGT_MAX_REACTORS];
	/** Entries of \p cores. Default 0. */
	uint32_t num_cores;
	/**
	 * Reactors that may own connections, for applications that run their own reactors
	 * (nvtcp_reactor_create()) instead of the launcher. NULL (default) = use \p cores.
	 */
	struct nvtcp_reactor *const *reactors;
	/** Entries of \p reactors. */
	uint32_t num_reactors;
	/** Model number of NVM subsystems that set none. Default "nvtcp target". */
	const char *default_model;
};

/**
 * Fill \p opts with defaults.
 *
 * \param opts Options.
 */
void nvtcp_tgt_opts_init(struct nvtcp_tgt_opts *opts);

/**
 * Check options for consistency.
 *
 * \param opts Options.
 * \param err One-line message naming the bad option (may be NULL).
 * \param errlen Size of \p err.
 * \return 0 or -EINVAL.
 */
int nvtcp_tgt_opts_check(const struct nvtcp_tgt_opts *opts, char *err, size_t errlen);

/**
 * Create a target owned by the calling reactor (its management reactor). Nothing listens yet.
 * Requires the environment and a current reactor; the data reactors must exist (the launcher
 * must be running when opts->reactors is NULL).
 *
 * \param opts Options, or NULL for defaults (copied).
 * \param err One-line message on failure (may be NULL).
 * \param errlen Size of \p err.
 * \return The target, or NULL (errno set: EINVAL, ENOMEM, ENODEV for a missing reactor).
 */
struct nvtcp_tgt *nvtcp_tgt_create(const struct nvtcp_tgt_opts *opts, char *err, size_t errlen);

/** Called when nvtcp_tgt_start() has finished. */
typedef void (*nvtcp_tgt_done_fn)(void *cb_arg, int status);

/**
 * Start the target: create its per-reactor state (buffer pools, socket groups, pollers) on
 * every data reactor, then open the listeners added so far. Listeners added later open at once.
 * Asynchronous: \p cb runs on the management reactor when everything is ready (status 0) or
 * failed (negative errno; the target can only be destroyed then).
 *
 * \param tgt Target.
 * \param cb Completion (may be NULL).
 * \param cb_arg Its argument.
 * \return 0 when started (the callback follows), or a negative errno (-EALREADY).
 */
int nvtcp_tgt_start(struct nvtcp_tgt *tgt, nvtcp_tgt_done_fn cb, void *cb_arg);

/** Called when nvtcp_tgt_destroy() has finished; the target is freed. */
typedef void (*nvtcp_tgt_destroy_fn)(void *cb_arg);

/**
 * Destroy the target: close the listeners, disconnect every host (each connection logs why),
 * wait for commands in flight, free everything, then call \p cb on the management reactor.
 * May be called whether or not the target was started, but not twice.
 *
 * \param tgt Target.
 * \param cb Completion (may be NULL).
 * \param cb_arg Its argument.
 */
void nvtcp_tgt_destroy(struct nvtcp_tgt *tgt, nvtcp_tgt_destroy_fn cb, void *cb_arg);

/* ---- Listeners ---------------------------------------------------------------------------- */

/**
 * Listen on an address and port (IPv4 or IPv6 numeric address; "0.0.0.0" or "::" for every
 * address). Such a global listener serves every subsystem and the discovery subsystem (see
 * nvtcp_tgt_subsys_add_listener() for a subsystem's own). When a subsystem already listens on
 * the same address and port, its socket is shared and becomes global. Opens at once
 * when the target is started, else at nvtcp_tgt_start(). Logs what it listens on.
 *
 * \param tgt Target.
 * \param addr Address.
 * \param port Port ("4420", or "0" for any free one: see nvtcp_tgt_listener_port()).
 * \param err One-line message on failure.
 * \param errlen Size of \p err.
 * \return 0, -EEXIST (already listening there), -EINVAL, -EADDRINUSE, or another errno.
 */
int nvtcp_tgt_add_listener(struct nvtcp_tgt *tgt, const char *addr, const char *port, char *err,
			   size_t errlen);

/** Secure channel (TLS 1.3 with a PSK, see nvtcp/tls.h) of a listener. */
enum nvtcp_tgt_secure_channel {
	/** Plaintext only (default): a TLS ClientHello is a protocol error. */
	NVTCP_TGT_SECURE_NONE = 0,
	/** TLS or plaintext, told apart by the first bytes the host sends. */
	NVTCP_TGT_SECURE_OPTIONAL,
	/** TLS only: a plaintext connection is closed. */
	NVTCP_TGT_SECURE_REQUIRED,
};

/**
 * Parse "none", "optional" or "required".
 *
 * \return 0 or -EINVAL.
 */
int nvtcp_tgt_secure_channel_parse(const char *s, enum nvtcp_tgt_secure_channel *mode);

/** "none", "optional", "required" (or "?"). */
const char *nvtcp_tgt_secure_channel_str(enum nvtcp_tgt_secure_channel mode);

/**
 * Asymmetric Namespace Access state of an ANA group through one listener of a subsystem
 * (values as in the ANA log page; see doc/multipath.md).
 */
enum nvtcp_tgt_ana_state {
	NVTCP_TGT_ANA_OPTIMIZED = 0x1,
	NVTCP_TGT_ANA_NON_OPTIMIZED = 0x2,
	NVTCP_TGT_ANA_INACCESSIBLE = 0x3,
	NVTCP_TGT_ANA_PERSISTENT_LOSS = 0x4,
	NVTCP_TGT_ANA_CHANGE = 0xF,
};

/**
 * Parse "optimized", "non_optimized", "inaccessible", "persistent_loss" or "change" (SPDK's
 * names; '-' may stand for '_').
 *
 * \return 0 or -EINVAL.
 */
int nvtcp_tgt_ana_state_parse(const char *s, enum nvtcp_tgt_ana_state *state);

/** SPDK's name of an ANA state ("optimized", "non_optimized", ...; "?" for another value). */
const char *nvtcp_tgt_ana_state_str(enum nvtcp_tgt_ana_state state);

/** Options of a listener. Initialise with nvtcp_tgt_listener_opts_init(). */
struct nvtcp_tgt_listener_opts {
	/** Default NVTCP_TGT_SECURE_NONE. */
	enum nvtcp_tgt_secure_channel secure_channel;
	/**
	 * Initial ANA state of every ANA group through this listener, for a subsystem's own
	 * listener (nvtcp_tgt_subsys_add_listener_ext()); a global listener takes only the
	 * default, NVTCP_TGT_ANA_OPTIMIZED.
	 */
	enum nvtcp_tgt_ana_state ana_state;
};

/** Fill \p opts with defaults. */
void nvtcp_tgt_listener_opts_init(struct nvtcp_tgt_listener_opts *opts);

/**
 * nvtcp_tgt_add_listener() with options. A listener's options belong to its socket: adding the
 * same address and port again (globally or for a subsystem) with another secure channel mode
 * fails with -EINVAL.
 *
 * \param opts Options, or NULL for defaults.
 * \return As nvtcp_tgt_add_listener().
 */
int nvtcp_tgt_add_listener_ext(struct nvtcp_tgt *tgt, const char *addr, const char *port,
			       const struct nvtcp_tgt_listener_opts *opts, char *err,
			       size_t errlen);

/**
 * Remove a global listener. Connections accepted there stay up. The socket stays open while a
 * subsystem still lists the same address and port (it then serves only those subsystems).
 *
 * \return 0 or -ENOENT (no global listener there).
 */
int nvtcp_tgt_remove_listener(struct nvtcp_tgt *tgt, const char *addr, const char *port);

/**
 * The port a started listener listens on (useful after port "0").
 *
 * \param tgt Target.
 * \param index Listener index, in the order added (0 = first).
 * \return The port, or 0 when there is no such open listener.
 */
uint16_t nvtcp_tgt_listener_port(const struct nvtcp_tgt *tgt, uint32_t index);

/**
 * The secure channel mode of a listener.
 *
 * \param tgt Target.
 * \param index Listener index, as for nvtcp_tgt_listener_port().
 * \return Its mode (NVTCP_TGT_SECURE_NONE when there is no such listener).
 */
enum nvtcp_tgt_secure_channel nvtcp_tgt_listener_secure_channel(const struct nvtcp_tgt *tgt,
								uint32_t index);

/* ---- Subsystems ---------------------------------------------------------------------------- */

/** NVM subsystem options. Initialise with nvtcp_tgt_subsys_opts_init(). */
struct nvtcp_tgt_subsys_opts {
	/** Serial number, 1..20 printable ASCII; NULL (default) = generated from the NQN. */
	const char *serial;
	/** Model number, 1..40 printable ASCII; NULL (default) = opts.default_model. */
	const char *model;
	/** Any host may connect (default true); false = only the hosts added with
	 *  nvtcp_tgt_subsys_add_host(). */
	bool allow_any_host;
	/** Largest NSID (Identify NN). Default 32; 1..1024. */
	uint32_t max_namespaces;
};

/**
 * Fill \p opts with defaults.
 *
 * \param opts Options.
 */
void nvtcp_tgt_subsys_opts_init(struct nvtcp_tgt_subsys_opts *opts);

/**
 * Add an NVM subsystem. Changes the discovery log (generation counter).
 *
 * \param tgt Target.
 * \param nqn Subsystem NQN (validated; not the discovery NQN).
 * \param opts Options, or NULL for defaults.
 * \param err One-line message on failure.
 * \param errlen Size of \p err.
 * \return 0, -EEXIST, -EINVAL, -ENOMEM.
 */
int nvtcp_tgt_add_subsys(struct nvtcp_tgt *tgt, const char *nqn,
			 const struct nvtcp_tgt_subsys_opts *opts, char *err, size_t errlen);

/**
 * Remove an NVM subsystem: its controllers are torn down (hosts disconnected), then its
 * namespaces are closed.
 *
 * \return 0 or -ENOENT.
 */
int nvtcp_tgt_remove_subsys(struct nvtcp_tgt *tgt, const char *nqn);

/**
 * As nvtcp_tgt_remove_subsys(), and call \p cb (status 0) on the management reactor once every
 * controller of the subsystem is gone (their commands finished) and the subsystem is freed.
 *
 * \param tgt Target.
 * \param nqn Subsystem.
 * \param cb Completion (may be NULL); not called when this returns an error.
 * \param cb_arg Its argument.
 * \return 0 or -ENOENT.
 */
int nvtcp_tgt_remove_subsys_async(struct nvtcp_tgt *tgt, const char *nqn, nvtcp_tgt_done_fn cb,
				  void *cb_arg);

/**
 * Let a subsystem listen on an address and port of its own (SPDK's per-subsystem listeners):
 * hosts may connect to it through its own listeners and the global ones, and to no subsystem
 * through another subsystem's listener (Connect fails with Invalid Parameters on SUBNQN). A
 * socket already open on the same address and port is shared; else one is opened (at once when
 * the target runs). The discovery log lists the subsystem on its own and the global listeners.
 *
 * \param tgt Target.
 * \param nqn Subsystem.
 * \param addr Numeric IPv4 or IPv6 address.
 * \param port Port (not "0": a subsystem's listener is named by its address and port).
 * \param err One-line message on failure.
 * \param errlen Size of \p err.
 * \return 0, -ENOENT (no subsystem), -EEXIST (already its listener), -EINVAL, -EADDRINUSE, or
 *         another errno.
 */
int nvtcp_tgt_subsys_add_listener(struct nvtcp_tgt *tgt, const char *nqn, const char *addr,
				  const char *port, char *err, size_t errlen);

/**
 * nvtcp_tgt_subsys_add_listener() with options (see nvtcp_tgt_add_listener_ext()).
 *
 * \param opts Options, or NULL for defaults.
 * \return As nvtcp_tgt_subsys_add_listener().
 */
int nvtcp_tgt_subsys_add_listener_ext(struct nvtcp_tgt *tgt, const char *nqn, const char *addr,
				      const char *port,
				      const struct nvtcp_tgt_listener_opts *opts, char *err,
				      size_t errlen);

/**
 * Change the ANA state of one ANA group, or of all of them, through a subsystem's own listener,
 * while hosts stay connected. Every controller whose admin queue came in through that listener
 * and whose view changed gets an ANA change event (Asynchronous Event Request, when enabled),
 * and its I/O to a namespace of a group that is inaccessible, in persistent loss or in change
 * fails from then on with the matching Path Related status.
 *
 * \param tgt Target.
 * \param nqn Subsystem NQN.
 * \param addr Listener address, as given when it was added.
 * \param port Listener port.
 * \param state New state.
 * \param anagrpid ANA group ID 1..max_namespaces, or 0 for every group.
 * \param err Receives a message naming the bad argument (may be NULL).
 * \param errlen Size of \p err.
 * \return 0, -ENOENT (no such subsystem or listener of it) or -EINVAL.
 */
int nvtcp_tgt_subsys_listener_set_ana_state(struct nvtcp_tgt *tgt, const char *nqn,
					    const char *addr, const char *port,
					    enum nvtcp_tgt_ana_state state, uint32_t anagrpid,
					    char *err, size_t errlen);

/**
 * Remove a subsystem's own listener. Unless a global listener on the same address and port
 * still lets them in, the subsystem's controllers with any queue (admin or I/O) that came in
 * through it are torn down (other subsystems' connections on a shared socket stay); the socket closes when nothing
 * holds it any more. Discovery controllers get a discovery log change event.
 *
 * \return 0 or -ENOENT (no such subsystem or listener of it).
 */
int nvtcp_tgt_subsys_remove_listener(struct nvtcp_tgt *tgt, const char *nqn, const char *addr,
				     const char *port);

/**
 * Allow a host on a subsystem (used when allow_any_host is false).
 *
 * \return 0, -ENOENT (no such subsystem), -EEXIST, -EINVAL (bad host NQN), -ENOMEM.
 */
int nvtcp_tgt_subsys_add_host(struct nvtcp_tgt *tgt, const char *nqn, const char *hostnqn,
			      char *err, size_t errlen);

struct nvtcp_tls_psk;

/** Options of an allowed host. Initialise with nvtcp_tgt_host_opts_init(). */
struct nvtcp_tgt_host_opts {
	/** The host's TLS pre-shared key (copied), or NULL. */
	const struct nvtcp_tls_psk *psk;
	/** Or a PSK file (interchange format, mode 0600), or NULL. Not both. */
	const char *psk_path;
	/**
	 * NVMe in-band authentication (DH-HMAC-CHAP): the secret this host must prove, as
	 * "DHHC-1:HH:<base64>:" text or the path of a file holding it (a regular file of this
	 * user, mode 0600 or 0400), or NULL for none. With it, every queue (admin and I/O) of
	 * the host must authenticate before any other command (see doc/security.md). Loaded
	 * with nvtcp_auth_secret_load(); the loaded key is wiped when the host is removed.
	 */
	const char *dhchap_key;
	/**
	 * The controller's own secret (text or file, as \p dhchap_key), so that the host may
	 * also authenticate the controller (bidirectional); NULL = unidirectional only. Needs
	 * \p dhchap_key.
	 */
	const char *dhchap_ctrl_key;
	/** Hash functions the host may use, as NVTCP_AUTH_HASH_BIT() masks; 0 = all. */
	uint32_t dhchap_hashes;
	/** DH groups the host may use, as NVTCP_AUTH_DHGROUP_BIT() masks; 0 = all. */
	uint32_t dhchap_dhgroups;
};

/** Fill \p opts with defaults (no PSK, no DH-HMAC-CHAP). */
void nvtcp_tgt_host_opts_init(struct nvtcp_tgt_host_opts *opts);

/**
 * Parse a comma-separated list of DH-HMAC-CHAP hash names ("sha256,sha384,sha512"; also
 * "hmac(sha256)") or, with \p dhgroups, DH group names ("null,ffdhe2048,...,ffdhe8192") into
 * a mask for nvtcp_tgt_host_opts.dhchap_hashes / dhchap_dhgroups.
 *
 * \param err One line naming the unknown or empty entry.
 * \return 0 or -EINVAL.
 */
int nvtcp_tgt_dhchap_mask_parse(const char *list, bool dhgroups, uint32_t *mask, char *err,
				size_t errlen);

/**
 * Format a mask of nvtcp_tgt_dhchap_mask_parse() as its comma-separated list of names (the
 * inverse; "" for 0). \return 0 or -ENOSPC.
 */
int nvtcp_tgt_dhchap_mask_format(uint32_t mask, bool dhgroups, char *out, size_t outlen);

/**
 * nvtcp_tgt_subsys_add_host() with options. With a PSK, the host may authenticate a TLS
 * connection to this subsystem with the identity "NVMe0R0H <hostnqn> <subnqn>"; its Connect
 * must then name the same host and subsystem, and it cannot connect without TLS through a
 * listener that offers TLS. The key is wiped when the host is removed. With a DH-HMAC-CHAP
 * key, each of its queues must complete an authentication transaction before anything else.
 *
 * \return 0, -ENOENT, -EEXIST, -EINVAL (bad NQN, PSK, secret or mask, \p err says which),
 *         -EPERM (key file mode), -ENOMEM, or a key file's -errno.
 */
int nvtcp_tgt_subsys_add_host_ext(struct nvtcp_tgt *tgt, const char *nqn, const char *hostnqn,
				  const struct nvtcp_tgt_host_opts *opts, char *err,
				  size_t errlen);

/**
 * Replace the DH-HMAC-CHAP keys of an allowed host without disconnecting it (key rotation).
 * The new keys are loaded first (on error nothing changes), the old ones are wiped, and every
 * live queue of the host's controllers on the subsystem gets the new ones through its
 * reactor: its next authentication transaction (a host-initiated re-authentication) uses
 * them, and so does every new Connect. A transaction already running finishes with the keys
 * it started with. Queues that connected while the host had no key are not affected.
 *
 * \param tgt Target (control plane thread).
 * \param nqn Subsystem (not the discovery subsystem).
 * \param hostnqn A host added with nvtcp_tgt_subsys_add_host_ext().
 * \param opts dhchap_key (required), dhchap_ctrl_key (NULL: the host can no longer ask for
 *             bidirectional authentication), dhchap_hashes / dhchap_dhgroups (0: keep the
 *             host's current restriction); psk must be NULL.
 * \param err One line naming the bad argument (never a secret).
 * \param errlen Size of \p err.
 * \return 0, -ENOENT (no such subsystem or host), -EINVAL, -EPERM (key file mode), -ENOMEM,
 *         or a key file's -errno.
 */
int nvtcp_tgt_subsys_set_host_keys(struct nvtcp_tgt *tgt, const char *nqn, const char *hostnqn,
				   const struct nvtcp_tgt_host_opts *opts, char *err,
				   size_t errlen);

/**
 * Withdraw a host from a subsystem's allow list. When the subsystem does not allow any host,
 * that host's controllers on it are torn down (its connections close; other hosts' stay).
 *
 * \return 0 or -ENOENT.
 */
int nvtcp_tgt_subsys_remove_host(struct nvtcp_tgt *tgt, const char *nqn, const char *hostnqn);

/**
 * Set whether any host may connect to a subsystem (connected controllers stay).
 *
 * \return 0 or -ENOENT.
 */
int nvtcp_tgt_subsys_set_allow_any_host(struct nvtcp_tgt *tgt, const char *nqn, bool allow);

/* ---- Namespaces ---------------------------------------------------------------------------- */

/** Namespace backends. */
enum nvtcp_tgt_backend {
	/** RAM from DMA-safe memory, shared by every reactor; reads are zero-copy. Default. */
	NVTCP_TGT_BACKEND_MALLOC = 0,
	/** Discards writes, reads return zeros (for benchmarking the transport). */
	NVTCP_TGT_BACKEND_NULL = 1,
	/** A regular file or block device, through worker threads. */
	NVTCP_TGT_BACKEND_FILE = 2,
	/**
	 * A regular file or block device through io_uring, polled by the reactors (no worker
	 * threads); O_DIRECT for aligned I/O. Needs io_uring in the kernel (else the namespace
	 * is refused: use the file backend).
	 */
	NVTCP_TGT_BACKEND_URING = 3,
};

/** Namespace options. Initialise with nvtcp_tgt_ns_opts_init(). */
struct nvtcp_tgt_ns_opts {
	/** NSID, 1..max_namespaces; 0 (default) = the lowest free one. */
	uint32_t nsid;
	/** Backend (a built-in one; see \p backend_name for the others). */
	enum nvtcp_tgt_backend backend;
	/**
	 * Backend by name: any backend registered with nvtcp_tgt_bdev_register() (see
	 * nvtcp/target_bdev.h), built-in ones included. NULL (default) = \p backend.
	 */
	const char *backend_name;
	/** Size in bytes (malloc, null, backends without a path; file, uring: 0 = the file's
	 *  size). A multiple of block_size. */
	uint64_t size;
	/** Logical block size: 512 (default) or 4096. */
	uint32_t block_size;
	/** File or block device (file and uring backends, and others that take a path). */
	const char *path;
	/** Worker threads of a file namespace. Default 2; 1..16. */
	uint32_t file_workers;
	/** Create the file when it does not exist (then \p size is required). Default true. */
	bool file_create;
	/**
	 * UUID; all zeros (default) = generated: name-based (stable across restarts) from the
	 * subsystem NQN, NSID and path for a file namespace, whose data persists; random for
	 * malloc and null namespaces, which start empty on every run.
	 */
	uint8_t uuid[16];
	/** NGUID; all zeros (default) = derived from the UUID. */
	uint8_t nguid[16];
	/**
	 * ANA group ID, 1..max_namespaces; 0 (default) = the NSID, one group per namespace (as
	 * SPDK), so that each namespace's access can be moved between listeners on its own.
	 */
	uint32_t anagrpid;
};

/**
 * Fill \p opts with defaults.
 *
 * \param opts Options.
 */
void nvtcp_tgt_ns_opts_init(struct nvtcp_tgt_ns_opts *opts);

/**
 * Parse a built-in backend name ("malloc", "null", "file", "uring"); other registered
 * backends are found with nvtcp_tgt_bdev_find() and named in opts.backend_name.
 *
 * \return 0 or -EINVAL.
 */
int nvtcp_tgt_backend_parse(const char *name, enum nvtcp_tgt_backend *backend);

/**
 * Add a namespace to a subsystem. Connected controllers of the subsystem get a Namespace
 * Attribute Changed event (and the Changed Namespace List log) when they asked for it.
 *
 * \param tgt Target.
 * \param nqn Subsystem.
 * \param opts Namespace options.
 * \param nsid Set to the NSID given (may be NULL).
 * \param err One-line message on failure.
 * \param errlen Size of \p err.
 * \return 0, -ENOENT (no subsystem), -EEXIST (NSID taken), -EINVAL (also: an unknown
 *         backend, or a backend that takes a path given none), -ENOSPC (no free NSID),
 *         -ENOMEM (the DMA memory of a malloc namespace), or the backend's error (the file's
 *         errno; -ENOSYS and the like when the uring backend finds no io_uring).
 */
int nvtcp_tgt_add_ns(struct nvtcp_tgt *tgt, const char *nqn, const struct nvtcp_tgt_ns_opts *opts,
		     uint32_t *nsid, char *err, size_t errlen);

/**
 * Remove a namespace: new commands for it fail with Invalid Namespace, commands in flight
 * finish, then the backend is closed (asynchronously). Controllers get a Namespace Attribute
 * Changed event.
 *
 * \return 0 or -ENOENT.
 */
int nvtcp_tgt_remove_ns(struct nvtcp_tgt *tgt, const char *nqn, uint32_t nsid);

/* ---- Configuration file -------------------------------------------------------------------- */

/**
 * Parse the "options" object of a JSON configuration (see doc/target.md) into \p opts, which
 * should hold defaults first. Used before nvtcp_tgt_create(), since options cannot change
 * afterwards. A file without "options" leaves \p opts alone.
 *
 * \param path JSON file.
 * \param opts Options to update.
 * \param err Message naming the bad key and its path in the document, e.g.
 *        "target.json: $.options.max_queue_depth: must be 2..4096".
 * \param errlen Size of \p err.
 * \return 0, -EINVAL (bad document), or the file's errno.
 */
int nvtcp_tgt_config_load_opts(const char *path, struct nvtcp_tgt_opts *opts, char *err,
			       size_t errlen);

/**
 * Apply a JSON configuration: subsystems (with hosts and namespaces) and listeners. The
 * "options" object is checked (unknown keys are errors) but not applied: options belong to
 * nvtcp_tgt_create() (see nvtcp_tgt_config_load_opts()). The whole document is validated
 * before anything is applied.
 *
 * \param tgt Target.
 * \param path JSON file.
 * \param err Message naming the bad key and its path, e.g.
 *        "target.json: $.subsystems[0].namespaces[1].block_size: must be 512 or 4096".
 * \param errlen Size of \p err.
 * \return 0, -EINVAL (bad document), or the first failing call's error.
 */
int nvtcp_tgt_config_load(struct nvtcp_tgt *tgt, const char *path, char *err, size_t errlen);

/**
 * DMA memory the namespaces of a JSON configuration need (malloc namespaces hold their
 * whole size; null namespaces a zero buffer of max_io_size), so that an application can size
 * the environment (nvtcp_env_opts.mem_size_mb) before starting it.
 *
 * \param path JSON file.
 * \param bytes Set to the total.
 * \param err Message naming the bad key on failure.
 * \param errlen Size of \p err.
 * \return 0, -EINVAL (bad document), or the file's errno.
 */
int nvtcp_tgt_config_dma_bytes(const char *path, uint64_t *bytes, char *err, size_t errlen);

/* ---- Statistics ---------------------------------------------------------------------------- */

/** Counters of one connection or one reactor. */
struct nvtcp_tgt_io_stats {
	uint64_t cmds;          /**< commands completed (any queue, any opcode) */
	uint64_t read_cmds;     /**< Read commands completed */
	uint64_t write_cmds;    /**< Write commands completed */
	uint64_t admin_cmds;    /**< admin and Fabrics commands completed */
	uint64_t bytes_read;    /**< data sent to hosts by reads */
	uint64_t bytes_written; /**< data received from hosts by writes */
	uint64_t errors;        /**< commands completed with an error status */
	uint64_t ddgst_errors;  /**< data digest mismatches on received data */
	uint64_t protocol_errors; /**< connections ended by a C2HTermReq */
	uint64_t buf_waits;     /**< times a command waited for data buffers */
	uint64_t host_buf_waits; /**< of those, times because its host held its share
				  *  (host_buf_share) of the reactor's pool */
};

/** Statistics of one data reactor. */
struct nvtcp_tgt_reactor_stats {
	uint32_t core;          /**< its core (NVTCP_ENV_CORE_NONE for a non-launcher reactor) */
	uint32_t connections;   /**< connections it owns now */
	uint64_t accepted;      /**< connections handed to it since start */
	uint32_t bufs_free;     /**< data buffers free now */
	uint32_t bufs_total;    /**< data buffers of its pool */
	struct nvtcp_tgt_io_stats io;
};

/**
 * Number of data reactors of a target.
 */
uint32_t nvtcp_tgt_num_reactors(const struct nvtcp_tgt *tgt);

/**
 * Copy the statistics of one data reactor. Callable from any thread (a consistent-enough
 * snapshot: each counter is read atomically).
 *
 * \param tgt Target (started).
 * \param index 0..nvtcp_tgt_num_reactors() - 1.
 * \param stats Filled in.
 * \return 0, or -ENOENT.
 */
int nvtcp_tgt_get_reactor_stats(const struct nvtcp_tgt *tgt, uint32_t index,
				struct nvtcp_tgt_reactor_stats *stats);

/** Statistics of one connection (a queue of a controller). */
struct nvtcp_tgt_conn_stats {
	char peer[64];          /**< "address:port" of the host */
	char hostnqn[224];      /**< host NQN once connected ("" before, or sent empty) */
	char subnqn[224];       /**< subsystem NQN once connected */
	uint16_t cntlid;        /**< controller ID (0 before Connect) */
	uint16_t qid;           /**< queue ID */
	uint32_t reactor;       /**< index of its data reactor */
	bool hdgst;             /**< header digests in use */
	bool ddgst;             /**< data digests in use */
	/** DH-HMAC-CHAP: the host must authenticate this queue (it has a key). */
	bool auth_required;
	/** ... and its last transaction succeeded, with what (hash, DH group, direction). */
	bool authenticated;
	uint8_t auth_hash;      /**< enum nvtcp_auth_hash_id, when authenticated */
	uint8_t auth_dhgroup;   /**< enum nvtcp_auth_dhgroup_id, when authenticated */
	bool auth_bidirectional;
	struct nvtcp_tgt_io_stats io;
};

/** A snapshot of every connection. Free with nvtcp_tgt_conn_stats_free(). */
struct nvtcp_tgt_conn_stats_list {
	uint32_t count;
	struct nvtcp_tgt_conn_stats *conns;
};

/** Called with the snapshot (owned by the callee: free it). */
typedef void (*nvtcp_tgt_conn_stats_fn)(void *cb_arg, struct nvtcp_tgt_conn_stats_list *list);

/**
 * Collect the statistics of every connection: asks every data reactor, then calls \p cb on the
 * management reactor.
 *
 * \return 0, -EINVAL (not started), -ENOMEM.
 */
int nvtcp_tgt_get_conn_stats(struct nvtcp_tgt *tgt, nvtcp_tgt_conn_stats_fn cb, void *cb_arg);

/**
 * Free a list from nvtcp_tgt_get_conn_stats().
 */
void nvtcp_tgt_conn_stats_free(struct nvtcp_tgt_conn_stats_list *list);

/* ---- Resource limits ---------------------------------------------------------------------- */

/** The limits whose refusals are counted. */
enum nvtcp_tgt_limit {
	NVTCP_TGT_LIMIT_CONNECTIONS = 0,        /**< max_connections (at accept) */
	NVTCP_TGT_LIMIT_CONNECTIONS_PER_ADDR,   /**< max_connections_per_addr (at accept) */
	NVTCP_TGT_LIMIT_CONNECTIONS_PER_HOST,   /**< max_connections_per_host (at Connect) */
	NVTCP_TGT_LIMIT_IO_QUEUES_PER_HOST,     /**< max_io_queues_per_host (at Connect) */
	NVTCP_TGT_LIMIT_QUEUE_ENTRIES_PER_HOST, /**< max_queue_entries_per_host (at Connect) */
	NVTCP_TGT_LIMIT_CONNECTIONS_PER_SUBSYS, /**< max_connections_per_subsys (at Connect) */
	NVTCP_TGT_LIMIT_AUTH_PER_LISTENER,      /**< max_auth_per_listener (at Connect) */
	NVTCP_TGT_LIMIT_AUTH_PER_ADDR,          /**< max_auth_per_addr (at Connect) */
	NVTCP_TGT_LIMIT_COUNT,
};

/**
 * Name of a limit: its option name ("max_connections_per_host"), or "?" when unknown.
 */
const char *nvtcp_tgt_limit_name(enum nvtcp_tgt_limit limit);

/** What one host NQN (or one source address, or one subsystem) holds now. */
struct nvtcp_tgt_usage {
	char key[224];          /**< host NQN, source address, or subsystem NQN */
	uint32_t connections;   /**< connections (address) or connected queues (host, subsys) */
	uint32_t io_queues;     /**< connected I/O queues (host, subsys; 0 for an address) */
	uint32_t queue_entries; /**< sum of their queue sizes (host, subsys) */
	/** queues in a first DH-HMAC-CHAP transaction (address; 0 for host, subsys) */
	uint32_t authentications;
	uint64_t refusals;      /**< connections or Connects refused for this key while it held
				 *  something (forgotten when its usage returns to zero) */
};

/** Limits, refusals and current usage. Free with nvtcp_tgt_limit_stats_free(). */
struct nvtcp_tgt_limit_stats {
	/** Refusals since the start, per limit. */
	uint64_t refusals[NVTCP_TGT_LIMIT_COUNT];
	/** Sum over reactors of nvtcp_tgt_io_stats.host_buf_waits. */
	uint64_t host_buf_waits;
	uint32_t connections;   /**< connections now (accepted, not yet freed) */
	uint32_t num_hosts;     /**< entries of \p hosts */
	struct nvtcp_tgt_usage *hosts;   /**< every host NQN with a connected queue */
	uint32_t num_addrs;     /**< entries of \p addrs */
	struct nvtcp_tgt_usage *addrs;   /**< every source address with a connection */
	uint32_t num_subsys;    /**< entries of \p subsys */
	struct nvtcp_tgt_usage *subsys;  /**< every subsystem with a connected queue */
};

/**
 * Snapshot of the resource limits' counters and of the usage per host, per source address and
 * per subsystem. Synchronous: the tables belong to the management reactor, where this must be
 * called (for nvmf_get_stats).
 *
 * \param tgt Target.
 * \param stats Set to a snapshot to free with nvtcp_tgt_limit_stats_free().
 * \return 0 or -ENOMEM.
 */
int nvtcp_tgt_get_limit_stats(const struct nvtcp_tgt *tgt, struct nvtcp_tgt_limit_stats **stats);

/**
 * Free a snapshot of nvtcp_tgt_get_limit_stats() (NULL is ignored).
 */
void nvtcp_tgt_limit_stats_free(struct nvtcp_tgt_limit_stats *stats);

/**
 * Log (NOTICE) one line per data reactor with its statistics and a total, then the refusals of
 * the resource limits and the usage of every host; for SIGUSR1 and exit (management reactor).
 */
void nvtcp_tgt_log_stats(const struct nvtcp_tgt *tgt);

#ifdef __cplusplus
}
#endif

#endif /* NVTCP_TARGET_H */
