#ifndef BAM_CSQLITE_SHIM_H
#define BAM_CSQLITE_SHIM_H
#include <sqlite3.h>

/* SQLITE_TRANSIENT is a cast macro Swift does not import: text bound with
   it is copied by SQLite, so Swift's temporary C strings may go away. */
static inline int bam_sqlite_bind_text(sqlite3_stmt *s, int i, const char *v, int n) {
    return sqlite3_bind_text(s, i, v, n, SQLITE_TRANSIENT);
}
#endif
