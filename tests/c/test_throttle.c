/* The client's rate limiter from C, against a bare emulator this program seeds and throttles
 * itself through the control API: apig_client_options_set_max_rate's refused values (at
 * apig_client_new, before any I/O) and its cap (no second of the emulator's request log holds
 * more than the rate, plus the one request a paced client may send at once); a gateway that
 * throttles (429 APIGW.0308) under several threads sharing one client: every delete succeeds,
 * apig_client_throttled counts exactly the 429s the emulator sent, and the throttling answers
 * are never counted against max_retries; the call's deadline ends the wait for a turn (an
 * absurd Retry-After too); apig_client_send_rate and apig_client_throttled for NULL. Nothing
 * here measures time: counts of requests, statuses and counters only.
 * Usage: test_throttle ENDPOINT PROJECT_ID */
#define _POSIX_C_SOURCE 200112L /* sockets */
#include "apig.h"
#include "harness.h"
#include "control.h"

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *endpoint;
static const char *project;
static const char *token = "emulator-token";

#define MAX_RATE_MESSAGE "max_rate must be 0.01 to 100000 requests per second"

/* ---- the emulator's control API (control.h) ------------------------------------------------ */

/* Sends METHOD PATH to this test's emulator (control.h); the answer's body (free it) or NULL. */
static char *control(const char *method, const char *path, const char *body) {
    return emulator_control(endpoint, method, path, body);
}

/* METHOD a control resource; true when the emulator took it. */
static int ask(const char *method, const char *path, const char *body) {
    char *answer = control(method, path, body);
    free(answer);
    return answer != NULL;
}

/* The emulator's request log (JSON, in the order requests came; free it); then cleared. */
static char *take_requests(void) {
    char *log = control("GET", "/_emulator/requests", NULL);
    free(control("DELETE", "/_emulator/requests", NULL));
    return log;
}

/* How many times `needle` occurs in `haystack`. */
static int occurrences(const char *haystack, const char *needle) {
    int n = 0;
    while (haystack != NULL && (haystack = strstr(haystack, needle)) != NULL) {
        n++;
        haystack += strlen(needle);
    }
    return n;
}

/* The emulator's count of the 429s it answered (its counter "apig_throttled"), or -1. */
static long emulator_throttled(void) {
    char *counters = control("GET", "/_emulator/counters", NULL);
    const char *at = counters ? strstr(counters, "\"apig_throttled\":") : NULL;
    long n = at ? strtol(at + strlen("\"apig_throttled\":"), NULL, 10) : -1;
    free(counters);
    return n;
}

/* Seeds `count` certificates PREFIX00, PREFIX01… in the project; true when all were taken. */
static int seed(const char *prefix, int count) {
    char path[256];
    int i, ok = 1;
    for (i = 0; i < count; i++) {
        snprintf(path, sizeof path, "/_emulator/projects/%s/certificates/%s%02d", project, prefix, i);
        ok &= ask("PUT", path, "{}");
    }
    return ok;
}

/* How many certificates of the project the emulator still holds whose id starts with `prefix`
 * (its listing is a JSON array of ids), or -1. */
static int left(const char *prefix) {
    char path[256], needle[64];
    char *certificates;
    int n;
    snprintf(path, sizeof path, "/_emulator/projects/%s/certificates", project);
    snprintf(needle, sizeof needle, "\"%s", prefix);
    certificates = control("GET", path, NULL);
    n = certificates ? occurrences(certificates, needle) : -1;
    free(certificates);
    return n;
}

/* ---- clients and threads --------------------------------------------------------------------- */

/* A client of the emulator with a token; `max_rate` > 0 sets it, `max_retries` >= 0 sets it. */
static apig_client *make_client(double max_rate, int max_retries) {
    apig_client_options *opts = apig_client_options_new();
    apig_client *client = NULL;
    apig_error *err = NULL;
    apig_client_options_set_endpoint(opts, endpoint);
    apig_client_options_set_project_id(opts, project);
    apig_client_options_set_token(opts, token);
    if (max_rate > 0) CHECK_STATUS(apig_client_options_set_max_rate(opts, max_rate), APIG_OK);
    if (max_retries >= 0) apig_client_options_set_max_retries(opts, (uint32_t)max_retries);
    CHECK_STATUS(apig_client_new(opts, &client, &err), APIG_OK);
    if (err != NULL) fprintf(stderr, "  (apig_client_new: %s)\n", apig_error_message(err));
    apig_error_free(err);
    apig_client_options_free(opts);
    return client;
}

#define MAX_PER_THREAD 16

/* One thread's share of the deletes: certificates PREFIX<first>, PREFIX<first + step>… What each
 * delete gave is kept for the main thread to check (the harness's counters are not thread-safe). */
struct share {
    apig_client *client;
    const char *prefix;
    int first, step, count;
    apig_status status[MAX_PER_THREAD];
    apig_outcome outcome[MAX_PER_THREAD];
    int http_status[MAX_PER_THREAD];
    char message[MAX_PER_THREAD][160];
};

static void *delete_share(void *arg) {
    struct share *s = arg;
    int i;
    for (i = 0; i < s->count; i++) {
        char id[64];
        apig_error *err = NULL;
        snprintf(id, sizeof id, "%s%02d", s->prefix, s->first + i * s->step);
        s->status[i] = apig_client_delete_certificate_with(s->client, NULL, id, 0, &s->outcome[i],
                                                           &s->http_status[i], &err);
        snprintf(s->message[i], sizeof s->message[i], "%s", err ? apig_error_message(err) : "");
        apig_error_free(err);
    }
    return NULL;
}

/* Deletes PREFIX00 … PREFIX<threads * per_thread - 1> on `threads` threads sharing `client`;
 * checks that each was deleted (APIG_OK, 204). */
static void delete_all(apig_client *client, const char *prefix, int threads, int per_thread) {
    pthread_t tid[8];
    struct share shares[8];
    int t, i, ok = 0;
    for (t = 0; t < threads; t++) {
        memset(&shares[t], 0, sizeof shares[t]);
        shares[t].client = client;
        shares[t].prefix = prefix;
        shares[t].first = t;
        shares[t].step = threads;
        shares[t].count = per_thread;
        CHECK(pthread_create(&tid[t], NULL, delete_share, &shares[t]) == 0);
    }
    for (t = 0; t < threads; t++) pthread_join(tid[t], NULL);
    for (t = 0; t < threads; t++) {
        for (i = 0; i < per_thread; i++) {
            const struct share *s = &shares[t];
            if (s->status[i] == APIG_OK && s->outcome[i] == APIG_OUTCOME_DELETED && s->http_status[i] == 204) {
                ok++;
            } else {
                fprintf(stderr, "  (%s%02d: %s, HTTP %d: %s)\n", prefix, s->first + i * s->step,
                        apig_status_str(s->status[i]), s->http_status[i], s->message[i]);
            }
        }
    }
    CHECK(ok == threads * per_thread);
    CHECK(left(prefix) == 0);
}

/* ---- the tests ----------------------------------------------------------------------------- */

static void test_null_client(void) {
    CHECK(apig_client_send_rate(NULL) == 0.0);
    CHECK(apig_client_throttled(NULL) == 0);
    CHECK_STATUS(apig_client_options_set_max_rate(NULL, 10.0), APIG_E_INVALID_ARGUMENT);
}

static void test_max_rate_values(void) {
    const double refused_values[] = {0.0, -0.0, -1.0, 0.001, 0.009999, NAN, INFINITY, -INFINITY, 100001.0,
                                     100000.001};
    const double taken[] = {0.01, 0.1, 25.0, 100000.0};
    size_t i;
    char *log;
    apig_client *client;

    free(take_requests());
    for (i = 0; i < sizeof refused_values / sizeof refused_values[0]; i++) {
        apig_client_options *opts = apig_client_options_new();
        apig_client *refused = (apig_client *)1; /* set to NULL on failure */
        apig_error *err = NULL;
        apig_client_options_set_endpoint(opts, endpoint);
        apig_client_options_set_project_id(opts, project);
        apig_client_options_set_token(opts, token);
        /* As every option: the setter takes it, apig_client_new checks it. */
        CHECK_STATUS(apig_client_options_set_max_rate(opts, refused_values[i]), APIG_OK);
        CHECK_STATUS(apig_client_new(opts, &refused, &err), APIG_E_INVALID_ARGUMENT);
        CHECK(refused == NULL);
        CHECK_STATUS(apig_error_status(err), APIG_E_INVALID_ARGUMENT);
        CHECK(apig_error_attempts(err) == 0);
        if (!str_eq(apig_error_message(err), MAX_RATE_MESSAGE)) {
            fprintf(stderr, "  (max_rate %g: %s)\n", refused_values[i], apig_error_message(err));
        }
        CHECK(str_eq(apig_error_message(err), MAX_RATE_MESSAGE));
        apig_error_free(err);

        /* The options stay usable: a valid rate set afterwards replaces the refused one. */
        CHECK_STATUS(apig_client_options_set_max_rate(opts, 40.0), APIG_OK);
        refused = NULL;
        CHECK_STATUS(apig_client_new(opts, &refused, NULL), APIG_OK);
        CHECK(apig_client_send_rate(refused) == 40.0);
        apig_client_free(refused);
        apig_client_options_free(opts);
    }

    /* A valid max_rate turns the limiter on from the start: the client reports that rate before
     * its first call, and has met no throttling. */
    for (i = 0; i < sizeof taken / sizeof taken[0]; i++) {
        client = make_client(taken[i], -1);
        if (apig_client_send_rate(client) != taken[i]) {
            fprintf(stderr, "  (max_rate %g: apig_client_send_rate says %g)\n", taken[i], apig_client_send_rate(client));
        }
        CHECK(apig_client_send_rate(client) == taken[i]);
        CHECK(apig_client_throttled(client) == 0);
        apig_client_free(client);
    }
    /* Without it: unlimited (0) until a gateway throttles. */
    client = make_client(0, -1);
    CHECK(apig_client_send_rate(client) == 0.0);
    CHECK(apig_client_throttled(client) == 0);
    apig_client_free(client);

    log = take_requests();
    CHECK(log != NULL);
    CHECK(occurrences(log, "\"seq\"") == 0); /* nothing was sent */
    free(log);
}

/* Reads the "at_ms" of every request in `log` into `at` (at most `max`); returns how many. */
static size_t arrival_times(const char *log, unsigned long long *at, size_t max) {
    size_t n = 0;
    const char *p = log;
    while (p != NULL && n < max && (p = strstr(p, "\"at_ms\":")) != NULL) {
        p += strlen("\"at_ms\":");
        at[n++] = strtoull(p, NULL, 10);
    }
    return n;
}

static int by_time(const void *a, const void *b) {
    unsigned long long x = *(const unsigned long long *)a, y = *(const unsigned long long *)b;
    return x < y ? -1 : x > y;
}

/* The most requests whose arrival falls within one 1,000 ms window (sorts `at`). */
static size_t busiest_second(unsigned long long *at, size_t n) {
    size_t i, j = 0, most = 0;
    qsort(at, n, sizeof at[0], by_time);
    for (i = 0; i < n; i++) {
        while (j < n && at[j] - at[i] < 1000) j++;
        if (j - i > most) most = j - i;
    }
    return most;
}

static void test_max_rate_is_never_exceeded(void) {
    enum { THREADS = 3, PER_THREAD = 10, RATE = 25 };
    unsigned long long at[2 * THREADS * PER_THREAD];
    apig_client *client;
    size_t n, busiest;
    char *log;

    CHECK(seed("paced-", THREADS * PER_THREAD));
    CHECK(seed("warm-", THREADS));
    client = make_client(RATE, -1);
    CHECK(apig_client_send_rate(client) == RATE);
    /* A first delete per thread opens the client's connections (a connect can hold one request
     * back while the next leaves: arrivals closer than their turns); then the deletes counted. */
    delete_all(client, "warm-", THREADS, 1);
    free(take_requests());
    delete_all(client, "paced-", THREADS, PER_THREAD);
    CHECK(apig_client_throttled(client) == 0);
    CHECK(apig_client_send_rate(client) > 0 && apig_client_send_rate(client) <= RATE);

    log = take_requests();
    CHECK(occurrences(log, "\"status\":204") == THREADS * PER_THREAD);
    n = arrival_times(log, at, sizeof at / sizeof at[0]);
    CHECK(n == THREADS * PER_THREAD); /* one request per delete, each with its arrival time */
    /* The client's pace: at most RATE a second, and the one request a paced client may send at
     * once (its bucket holds one request's worth). Counted, not timed. */
    busiest = busiest_second(at, n);
    if (busiest > RATE + 1) fprintf(stderr, "  (%lu requests within one second at max_rate %d)\n",
                                    (unsigned long)busiest, RATE);
    CHECK(busiest <= RATE + 1);
    free(log);
    apig_client_free(client);
}

/* The emulator throttles (RATE a second, a burst of 2, no Retry-After); THREADS threads share a
 * client with the given max_retries (-1: the default) and delete THREADS * PER_THREAD seeded
 * certificates. */
static void throttled_deletes(const char *prefix, const char *throttle, int threads, int per_thread, int max_retries) {
    apig_client *client;
    long before, sent;
    char *log;

    CHECK(seed(prefix, threads * per_thread));
    CHECK(ask("PUT", "/_emulator/throttle", throttle));
    free(take_requests());
    before = emulator_throttled();
    client = make_client(0, max_retries);
    CHECK(apig_client_send_rate(client) == 0.0); /* unlimited until throttled */

    delete_all(client, prefix, threads, per_thread);

    sent = emulator_throttled() - before;
    CHECK(before >= 0);
    CHECK(sent > 0); /* the gateway did throttle */
    /* The client met every 429 the emulator sent it, and says so. */
    if (apig_client_throttled(client) != (uint64_t)sent) {
        fprintf(stderr, "  (apig_client_throttled %llu, the emulator sent %ld 429s)\n",
                (unsigned long long)apig_client_throttled(client), sent);
    }
    CHECK(sent > 0 && apig_client_throttled(client) == (uint64_t)sent);
    CHECK(apig_client_send_rate(client) > 0); /* on, since the first 429 */
    log = take_requests();
    CHECK(occurrences(log, "\"status\":204") == threads * per_thread);
    CHECK(occurrences(log, "\"status\":429") == sent);
    CHECK(occurrences(log, "\"outcome\":\"throttled\"") == sent);
    free(log);
    CHECK(ask("DELETE", "/_emulator/throttle", NULL));
    apig_client_free(client);
}

static void test_a_throttling_gateway(void) {
    /* Default options: throttled requests are retried at the client's pace until each call's
     * deadline, whatever max_retries says. */
    throttled_deletes("busy-", "{\"rate\":20,\"burst\":2,\"retry_after\":null}", 4, 10, -1);
    /* max_retries 0: no retry of anything else, and still every throttled delete goes through. */
    throttled_deletes("strict-", "{\"rate\":10,\"burst\":1,\"retry_after\":null}", 2, 6, 0);
}

/* A Retry-After beyond the call's deadline: the call does not wait for it, and fails with the
 * gateway's 429 (the client's count and the call's attempts say one throttling answer); later
 * calls of the client are held too. */
static void test_the_deadline_ends_the_wait(void) {
    apig_client_options *opts = apig_client_options_new();
    apig_client *client = NULL;
    apig_error *err = NULL;
    apig_outcome outcome = APIG_OUTCOME_DELETED;
    int http_status = -1;
    char *log;

    CHECK(seed("held-", 2));
    free(take_requests());
    CHECK(ask("PUT", "/_emulator/throttle", "{\"rate\":0.01,\"burst\":1,\"retry_after\":600}"));
    apig_client_options_set_endpoint(opts, endpoint);
    apig_client_options_set_project_id(opts, project);
    apig_client_options_set_token(opts, token);
    apig_client_options_set_timeout_ms(opts, 5000);
    CHECK_STATUS(apig_client_new(opts, &client, NULL), APIG_OK);
    apig_client_options_free(opts);

    /* The bucket's one request, then a 429 with Retry-After: 600. */
    CHECK_STATUS(apig_client_delete_certificate(client, NULL, "held-00", false, NULL), APIG_OK);
    CHECK_STATUS(apig_client_delete_certificate_with(client, NULL, "held-01", 0, &outcome, &http_status, &err),
                 APIG_E_RATE_LIMITED);
    CHECK(outcome == APIG_OUTCOME_NONE && http_status == 0);
    CHECK(apig_error_http_status(err) == 429);
    CHECK(str_eq(apig_error_code(err), "APIGW.0308"));
    CHECK(apig_error_attempts(err) == 1);
    if (!str_has(apig_error_message(err), "deadline")) fprintf(stderr, "  (message: %s)\n", apig_error_message(err));
    CHECK(str_has(apig_error_message(err), "the call's deadline comes before its turn"));
    apig_error_free(err);
    CHECK(apig_client_throttled(client) == 1);
    CHECK(apig_client_send_rate(client) > 0);
    CHECK(left("held-") == 1);
    log = take_requests();
    CHECK(occurrences(log, "\"status\":204") == 1);
    CHECK(occurrences(log, "\"status\":429") == 1);
    free(log);

    /* The Retry-After holds every call of the client: a new one, whose turn would come after its
     * deadline, is not sent at all (APIG_E_TIMEOUT, no attempt, nothing in the log). */
    CHECK_STATUS(apig_client_delete_certificate(client, NULL, "held-01", false, &err), APIG_E_TIMEOUT);
    CHECK(apig_error_attempts(err) == 0);
    CHECK(apig_error_http_status(err) == 0);
    CHECK(str_has(apig_error_message(err), "the call's deadline comes before its turn"));
    apig_error_free(err);
    CHECK(apig_client_throttled(client) == 1);
    log = take_requests();
    CHECK(log != NULL && occurrences(log, "\"seq\"") == 0);
    free(log);
    CHECK(ask("DELETE", "/_emulator/throttle", NULL));
    apig_client_free(client);
}

/* A Retry-After no clock can add (2^64 - 1 seconds) is a long pause like any other, not a
 * panic (APIG_E_INTERNAL). */
static void test_an_absurd_retry_after(void) {
    apig_client *client = make_client(0, -1);
    apig_error *err = NULL;
    CHECK(ask("POST", "/_emulator/rules",
              "{\"certificate_id\":\"absurd\",\"times\":1,\"status\":429,"
              "\"headers\":{\"Retry-After\":\"18446744073709551615\"},"
              "\"body\":\"{\\\"error_code\\\":\\\"APIGW.0308\\\",\\\"error_msg\\\":\\\"Throttled\\\"}\"}"));
    CHECK_STATUS(apig_client_delete_certificate(client, NULL, "absurd", true, &err), APIG_E_RATE_LIMITED);
    CHECK(str_eq(apig_error_code(err), "APIGW.0308"));
    CHECK(apig_error_attempts(err) == 1);
    apig_error_free(err);
    CHECK(apig_client_throttled(client) == 1);
    CHECK(apig_client_send_rate(client) > 0);
    free(take_requests());
    apig_client_free(client);
}

int main(int argc, char **argv) {
    if (!endpoint_and_project(argc, argv, &endpoint, &project)) return 2;
    if (!ask("DELETE", "/_emulator/throttle", NULL)) {
        fprintf(stderr, "the emulator at %s could not be asked\n", endpoint);
        return 2;
    }
    test_null_client();
    test_max_rate_values();
    test_max_rate_is_never_exceeded();
    test_a_throttling_gateway();
    test_the_deadline_ends_the_wait();
    test_an_absurd_retry_after();
    return finish("test_throttle");
}
