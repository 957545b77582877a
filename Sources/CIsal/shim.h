#ifndef BAM_CISAL_SHIM_H
#define BAM_CISAL_SHIM_H
#include <stdint.h>
#include <isa-l/igzip_lib.h>

/* The level buffer sizes are macros Swift cannot import; these give the
   library's suggested size for each level (0 needs none). */
static inline uint32_t bam_isal_level_buffer_size(uint32_t level) {
    switch (level) {
    case 1: return ISAL_DEF_LVL1_DEFAULT;
    case 2: return ISAL_DEF_LVL2_DEFAULT;
    case 3: return ISAL_DEF_LVL3_DEFAULT;
    default: return 0;
    }
}

static inline int bam_isal_deflate_finished(const struct isal_zstream *stream) {
    return stream->internal_state.state == ZSTATE_END;
}

static inline int bam_isal_inflate_finished(const struct inflate_state *state) {
    return state->block_state == ISAL_BLOCK_FINISH;
}
#endif
