#ifndef VIGIL_DYNCURL_H
#define VIGIL_DYNCURL_H
#include <stddef.h>

/// The result of one transfer through a libcurl loaded at run time.
typedef struct {
    long status;          /* HTTP status, 0 when the transfer failed */
    int curl_code;        /* CURLcode; 0 on success */
    unsigned char *body;  /* malloc'd; free with vigil_dyncurl_free */
    size_t body_len;
    char error[256];
} vigil_dyncurl_result;

/// TLS settings of a transfer; NULL fields keep libcurl's defaults (the system's CAs, no client certificate).
typedef struct {
    const char *ca_file;
    const char *cert_file;
    const char *key_file;
} vigil_dyncurl_tls;

/// Loads libcurl.so.4 on first use. Returns 0 on success; otherwise fills `err`.
int vigil_dyncurl_load(char *err, size_t errlen);

/// Performs one request. `headers` holds `nheaders` "Name: value" strings.
void vigil_dyncurl_perform(const char *method, const char *url, const char *const *headers, size_t nheaders,
                           const unsigned char *body, size_t body_len, long timeout_ms, long connect_timeout_ms,
                           size_t max_response, const vigil_dyncurl_tls *tls, vigil_dyncurl_result *out);

void vigil_dyncurl_free(vigil_dyncurl_result *r);
#endif
