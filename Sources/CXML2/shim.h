#ifndef BAM_CXML2_SHIM_H
#define BAM_CXML2_SHIM_H
/* Debian builds libxml2 with ICU, so its encoding.h includes the system's
 * <unicode/*.h>. Those headers would become part of this module, and
 * Foundation's own copy of ICU (_FoundationICU) defines the same types
 * differently: any Swift file that sees both modules may then fail with
 * "'UErrorCode' has different definitions in different modules". bam never
 * touches libxml2's encoding handlers (the only place ICU types appear),
 * so the headers are read as if libxml2 had no ICU. xmlversion.h has an
 * include guard, so the #undef holds for every header included after it. */
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED
#include <libxml/parser.h>
#include <libxml/tree.h>

/* xmlFree is a mutable global function pointer, which Swift 6 refuses. */
static inline void bam_xml_free(void *p) { xmlFree(p); }
#endif
