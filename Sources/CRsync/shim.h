#ifndef BAM_CRSYNC_SHIM_H
#define BAM_CRSYNC_SHIM_H
#include <stdio.h>
#include <librsync.h>
#endif
