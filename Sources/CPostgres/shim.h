#ifndef BAM_CPOSTGRES_SHIM_H
#define BAM_CPOSTGRES_SHIM_H
#include <libpq-fe.h>
#endif
