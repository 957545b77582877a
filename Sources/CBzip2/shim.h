#ifndef BAM_CBZIP2_SHIM_H
#define BAM_CBZIP2_SHIM_H
#include <bzlib.h>
#endif
