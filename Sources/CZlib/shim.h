#ifndef BAM_CZLIB_SHIM_H
#define BAM_CZLIB_SHIM_H
#include <zlib.h>

/* deflateInit2 is a macro over deflateInit2_ with the library's version. */
static inline int bam_deflate_init_raw(z_streamp stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
}
#endif
