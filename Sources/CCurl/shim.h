#ifndef VIGIL_CCURL_SHIM_H
#define VIGIL_CCURL_SHIM_H
#include <curl/curl.h>

/* curl_easy_setopt / curl_easy_getinfo are C variadics, which Swift does not import. */
static inline CURLcode vigil_curl_set_string(CURL *h, CURLoption o, const char *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode vigil_curl_set_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode vigil_curl_set_pointer(CURL *h, CURLoption o, void *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode vigil_curl_set_slist(CURL *h, CURLoption o, struct curl_slist *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode vigil_curl_set_offt(CURL *h, CURLoption o, curl_off_t v) { return curl_easy_setopt(h, o, v); }
typedef size_t (*vigil_curl_write_cb)(char *ptr, size_t size, size_t nmemb, void *userdata);
static inline CURLcode vigil_curl_set_write(CURL *h, vigil_curl_write_cb cb, void *ud) {
    CURLcode rc = curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, cb);
    if (rc != CURLE_OK) return rc;
    return curl_easy_setopt(h, CURLOPT_WRITEDATA, ud);
}
typedef size_t (*vigil_curl_header_cb)(char *buffer, size_t size, size_t nitems, void *userdata);
static inline CURLcode vigil_curl_set_header(CURL *h, vigil_curl_header_cb cb, void *ud) {
    CURLcode rc = curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, cb);
    if (rc != CURLE_OK) return rc;
    return curl_easy_setopt(h, CURLOPT_HEADERDATA, ud);
}
typedef size_t (*vigil_curl_read_cb)(char *buffer, size_t size, size_t nitems, void *userdata);
static inline CURLcode vigil_curl_set_read(CURL *h, vigil_curl_read_cb cb, void *ud) {
    CURLcode rc = curl_easy_setopt(h, CURLOPT_READFUNCTION, cb);
    if (rc != CURLE_OK) return rc;
    return curl_easy_setopt(h, CURLOPT_READDATA, ud);
}
static inline CURLcode vigil_curl_get_long(CURL *h, CURLINFO i, long *out) { return curl_easy_getinfo(h, i, out); }
static inline CURLcode vigil_curl_get_double(CURL *h, CURLINFO i, double *out) { return curl_easy_getinfo(h, i, out); }
#endif
