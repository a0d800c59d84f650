/**
 * @file
 * The target's JSON-RPC methods (SPDK's names and parameters where the concept is the same):
 * spdk_get_version, framework_get_reactors, nvmf_get_subsystems, nvmf_create_subsystem,
 * nvmf_delete_subsystem, nvmf_subsystem_add_ns, nvmf_subsystem_remove_ns,
 * nvmf_subsystem_add_listener, nvmf_subsystem_remove_listener, nvmf_subsystem_add_host,
 * nvmf_subsystem_remove_host, nvmf_subsystem_set_keys, nvmf_subsystem_allow_any_host,
 * nvmf_get_stats, save_config.
 * doc/target.md lists their parameters, results and errors.
 *
 * Every method checks its parameters completely before it changes anything (unknown keys and
 * wrong types are refused with -32602 and a message naming the parameter) and a failed call
 * changes nothing. State errors are negative errno codes (-ENOENT, -EEXIST, ...).
 */
#ifndef NVTCP_TARGET_RPC_H
#define NVTCP_TARGET_RPC_H

#ifdef __cplusplus
extern "C" {
#endif

struct nvtcp_tgt;
struct nvtcp_jsonrpc_server;

/**
 * Register the target's methods on a JSON-RPC server. The server must belong to the target's
 * management reactor (the handlers call the target's functions), and must be destroyed before
 * the target.
 *
 * \param tgt Target.
 * \param srv Server.
 * \return 0, or the first nvtcp_jsonrpc_register() error (-EEXIST, -ENOMEM).
 */
int nvtcp_tgt_rpc_register(struct nvtcp_tgt *tgt, struct nvtcp_jsonrpc_server *srv);

#ifdef __cplusplus
}
#endif

#endif /* NVTCP_TARGET_RPC_H */
