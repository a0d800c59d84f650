/*
 * Connection parameters of NVMe/TCP framing.
 */
#include <errno.h>

#include "tcp_internal.h"

void
nvtcp_tcp_params_init(struct nvtcp_tcp_params *params)
{
	params->hdgst = false;
	params->ddgst = false;
	/* PDA 0 means dword alignment, which every header length already satisfies. */
	params->rx_pda = 4;
	params->tx_pda = 4;
	params->maxh2cdata = NVTCP_TCP_MAXH2CDATA_MIN;
	params->maxr2t = 0;
}

int
nvtcp_tcp_params_check(const struct nvtcp_tcp_params *params)
{
	if (params == NULL || !tcp_pda_valid(params->rx_pda) || !tcp_pda_valid(params->tx_pda)) {
		return -EINVAL;
	}
	if (params->maxh2cdata < NVTCP_TCP_MAXH2CDATA_MIN || (params->maxh2cdata % 4) != 0) {
		return -EINVAL;
	}
	return 0;
}
