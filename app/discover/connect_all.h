/*
 * nvtcp_discover --connect-all: group a subsystem's discovery log entries into multipath
 * namespaces (lib/mpath) and report what was found.
 */
#ifndef NVTCP_DISCOVER_CONNECT_ALL_H
#define NVTCP_DISCOVER_CONNECT_ALL_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "nvtcp/fabrics.h"
#include "nvtcp/nvme.h"

/**
 * For each NVMe subsystem of \p e (only \p subnqn when not NULL), connect to every entry of
 * it through nvtcp_mpath_connect_all() (namespace \p nsid), print the multipath namespace with
 * its paths, their ANA states and controller IDs (text on stdout, or into \p jroot under
 * "multipath" when not NULL), and disconnect.
 *
 * \return 0 when every subsystem's entries all became paths of one namespace; -ENOENT when
 *	   \p subnqn is not in the log; another negative errno when a subsystem could not be
 *	   connected or some of its entries were not grouped (a reason is printed on stderr).
 */
int discover_connect_all(const struct nvtcp_trid *disc, const struct nvtcp_discovery_entry *e,
			 size_t count, const char *subnqn, uint32_t nsid,
			 const struct nvtcp_ctrlr_opts *copts, struct json_object *jroot);

#endif
