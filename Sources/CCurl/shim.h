#ifndef BAM_CCURL_SHIM_H
#define BAM_CCURL_SHIM_H
#include <curl/curl.h>

/* curl_easy_setopt and curl_easy_getinfo are variadic: Swift cannot call
   them, so each argument type gets a typed wrapper. */
static inline CURLcode bam_curl_setopt_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode bam_curl_setopt_ptr(CURL *h, CURLoption o, void *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode bam_curl_setopt_str(CURL *h, CURLoption o, const char *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode bam_curl_setopt_off(CURL *h, CURLoption o, curl_off_t v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode bam_curl_getinfo_long(CURL *h, CURLINFO i, long *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode bam_curl_getinfo_off(CURL *h, CURLINFO i, curl_off_t *v) { return curl_easy_getinfo(h, i, v); }

/* Function-pointer options: a Swift @convention(c) function does not
   convert to the `void *` of bam_curl_setopt_ptr, so each callback kind
   gets a setter with its real C type. */
typedef size_t (*bam_curl_data_cb)(char *, size_t, size_t, void *);
typedef int (*bam_curl_seek_cb)(void *, curl_off_t, int);
static inline CURLcode bam_curl_set_write_function(CURL *h, bam_curl_data_cb f) { return curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, f); }
static inline CURLcode bam_curl_set_header_function(CURL *h, bam_curl_data_cb f) { return curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, f); }
static inline CURLcode bam_curl_set_read_function(CURL *h, bam_curl_data_cb f) { return curl_easy_setopt(h, CURLOPT_READFUNCTION, f); }
static inline CURLcode bam_curl_set_seek_function(CURL *h, bam_curl_seek_cb f) { return curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, f); }

/* SFTP host key check (CURLOPT_SSH_KEYFUNCTION): libcurl hands the key the
   server showed and how it matched the known_hosts file; the answer is a
   curl_khstat. */
typedef int (*bam_curl_sshkey_cb)(CURL *, const struct curl_khkey *, const struct curl_khkey *, enum curl_khmatch, void *);
static inline CURLcode bam_curl_set_ssh_key_function(CURL *h, bam_curl_sshkey_cb f) { return curl_easy_setopt(h, CURLOPT_SSH_KEYFUNCTION, f); }

/* Macros Swift does not import (they expand to casts). */
static inline size_t bam_curl_readfunc_abort(void) { return CURL_READFUNC_ABORT; }
static inline size_t bam_curl_writefunc_error(void) { return CURL_WRITEFUNC_ERROR; }
#endif
