/**
 * @file
 * The nvtcp release version (the single source: the top Makefile reads it from here).
 */
#ifndef NVTCP_VERSION_H
#define NVTCP_VERSION_H

#define NVTCP_VERSION_MAJOR 0
#define NVTCP_VERSION_MINOR 1
#define NVTCP_VERSION_PATCH 0
/** Pre-release suffix ("" for a release, e.g. "-pre"). */
#define NVTCP_VERSION_SUFFIX ""
#define NVTCP_VERSION_STRING "0.1.0"

#endif /* NVTCP_VERSION_H */
