#ifndef BAM_CXML2_SHIM_H
#define BAM_CXML2_SHIM_H
#include <libxml/parser.h>
#include <libxml/tree.h>

/* xmlFree is a mutable global function pointer, which Swift 6 refuses. */
static inline void bam_xml_free(void *p) { xmlFree(p); }
#endif
