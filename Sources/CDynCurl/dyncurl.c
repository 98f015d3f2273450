// libcurl for https, loaded with dlopen only when an https URL is used, so that an agent talking plain
// http never maps libcurl and the TLS stack it pulls in (about 7 MB of resident memory).
#include "dyncurl.h"
#include <dlfcn.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The few libcurl ABI numbers used here (stable across libcurl 7.x and 8.x; checked against
   <curl/curl.h> 7.88 on Debian 12), so that building the agent needs no libcurl headers either. */
typedef void CURL;
typedef int CURLcode;
typedef int CURLoption;
typedef int CURLINFO;
typedef int64_t curl_off_t;
struct curl_slist;
enum {
    CURLE_OK = 0, CURLE_FAILED_INIT = 2,
    CURLOPT_WRITEDATA = 10001, CURLOPT_URL = 10002, CURLOPT_POSTFIELDS = 10015, CURLOPT_HTTPHEADER = 10023,
    CURLOPT_CUSTOMREQUEST = 10036, CURLOPT_WRITEFUNCTION = 20011, CURLOPT_POSTFIELDSIZE_LARGE = 30120,
    CURLOPT_POST = 47, CURLOPT_HTTPGET = 80, CURLOPT_NOSIGNAL = 99, CURLOPT_TIMEOUT_MS = 155,
    CURLOPT_CONNECTTIMEOUT_MS = 156, CURLOPT_SSLCERT = 10025, CURLOPT_CAINFO = 10065, CURLOPT_SSLKEY = 10087,
    CURLINFO_RESPONSE_CODE = 0x200002,
};
#define CURL_GLOBAL_DEFAULT 3L

static void *lib;
static CURLcode (*p_global_init)(long);
static CURL *(*p_easy_init)(void);
static CURLcode (*p_easy_setopt)(CURL *, CURLoption, ...);
static CURLcode (*p_easy_perform)(CURL *);
static CURLcode (*p_easy_getinfo)(CURL *, CURLINFO, ...);
static void (*p_easy_cleanup)(CURL *);
static const char *(*p_easy_strerror)(CURLcode);
static struct curl_slist *(*p_slist_append)(struct curl_slist *, const char *);
static void (*p_slist_free_all)(struct curl_slist *);
static pthread_mutex_t load_lock = PTHREAD_MUTEX_INITIALIZER;
static char load_error[256];

int vigil_dyncurl_load(char *err, size_t errlen) {
    pthread_mutex_lock(&load_lock);
    if (!lib && !load_error[0]) {
        void *h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
        if (!h) {
            snprintf(load_error, sizeof load_error, "https needs libcurl (apt-get install libcurl4): %s", dlerror());
        } else {
            p_global_init = (CURLcode (*)(long))dlsym(h, "curl_global_init");
            p_easy_init = (CURL *(*)(void))dlsym(h, "curl_easy_init");
            p_easy_setopt = (CURLcode (*)(CURL *, CURLoption, ...))dlsym(h, "curl_easy_setopt");
            p_easy_perform = (CURLcode (*)(CURL *))dlsym(h, "curl_easy_perform");
            p_easy_getinfo = (CURLcode (*)(CURL *, CURLINFO, ...))dlsym(h, "curl_easy_getinfo");
            p_easy_cleanup = (void (*)(CURL *))dlsym(h, "curl_easy_cleanup");
            p_easy_strerror = (const char *(*)(CURLcode))dlsym(h, "curl_easy_strerror");
            p_slist_append = (struct curl_slist *(*)(struct curl_slist *, const char *))dlsym(h, "curl_slist_append");
            p_slist_free_all = (void (*)(struct curl_slist *))dlsym(h, "curl_slist_free_all");
            if (!p_global_init || !p_easy_init || !p_easy_setopt || !p_easy_perform || !p_easy_getinfo ||
                !p_easy_cleanup || !p_easy_strerror || !p_slist_append || !p_slist_free_all) {
                snprintf(load_error, sizeof load_error, "libcurl.so.4 lacks an expected symbol");
                dlclose(h);
            } else if (p_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
                snprintf(load_error, sizeof load_error, "curl_global_init failed");
            } else {
                lib = h;
            }
        }
    }
    int rc = lib ? 0 : -1;
    if (rc != 0 && err && errlen) snprintf(err, errlen, "%s", load_error);
    pthread_mutex_unlock(&load_lock);
    return rc;
}

typedef struct { unsigned char *data; size_t len, cap, limit; int over; } sink;

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *ud) {
    sink *s = ud;
    size_t n = size * nmemb;
    if (s->len + n > s->limit) { s->over = 1; return 0; }
    if (s->len + n > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 4096;
        while (cap < s->len + n) cap *= 2;
        unsigned char *d = realloc(s->data, cap);
        if (!d) return 0;
        s->data = d;
        s->cap = cap;
    }
    memcpy(s->data + s->len, ptr, n);
    s->len += n;
    return n;
}

void vigil_dyncurl_perform(const char *method, const char *url, const char *const *headers, size_t nheaders,
                           const unsigned char *body, size_t body_len, long timeout_ms, long connect_timeout_ms,
                           size_t max_response, const vigil_dyncurl_tls *tls, vigil_dyncurl_result *out) {
    memset(out, 0, sizeof *out);
    if (vigil_dyncurl_load(out->error, sizeof out->error) != 0) { out->curl_code = CURLE_FAILED_INIT; return; }
    CURL *h = p_easy_init();
    if (!h) { out->curl_code = CURLE_FAILED_INIT; snprintf(out->error, sizeof out->error, "curl_easy_init failed"); return; }
    struct curl_slist *list = NULL;
    for (size_t i = 0; i < nheaders; i++) list = p_slist_append(list, headers[i]);
    list = p_slist_append(list, "Expect:");
    sink s = {0};
    s.limit = max_response;
    p_easy_setopt(h, CURLOPT_URL, url);
    p_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    p_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    p_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, connect_timeout_ms);
    p_easy_setopt(h, CURLOPT_HTTPHEADER, list);
    p_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    p_easy_setopt(h, CURLOPT_WRITEDATA, &s);
    if (tls) {
        if (tls->ca_file) p_easy_setopt(h, CURLOPT_CAINFO, tls->ca_file);
        if (tls->cert_file) p_easy_setopt(h, CURLOPT_SSLCERT, tls->cert_file);
        if (tls->key_file) p_easy_setopt(h, CURLOPT_SSLKEY, tls->key_file);
    }
    if (strcmp(method, "GET") == 0) {
        p_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else {
        p_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
        p_easy_setopt(h, CURLOPT_POST, 1L);
        p_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        p_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    }
    CURLcode rc = p_easy_perform(h);
    out->curl_code = (int)rc;
    if (rc == CURLE_OK) {
        p_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
        out->body = s.data;
        out->body_len = s.len;
        s.data = NULL;
    } else {
        snprintf(out->error, sizeof out->error, "%s", s.over ? "response too large" : p_easy_strerror(rc));
    }
    free(s.data);
    p_slist_free_all(list);
    p_easy_cleanup(h);
}

void vigil_dyncurl_free(vigil_dyncurl_result *r) {
    free(r->body);
    r->body = NULL;
    r->body_len = 0;
}
