#ifndef BAM_CGPGME_SHIM_H
#define BAM_CGPGME_SHIM_H
#include <gpgme.h>

/* gpg_err_code and friends are macros or inline helpers in some versions;
   a real function gives Swift one stable spelling. */
static inline unsigned int bam_gpgme_err_code(gpgme_error_t err) { return gpgme_err_code(err); }
static inline gpgme_error_t bam_gpgme_error(unsigned int code) { return gpgme_error((gpgme_err_code_t)code); }
#endif
