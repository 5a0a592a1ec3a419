/* The C API against the emulator (started by tests/c/run.sh with rules.json and seeds).
 * Usage: test_apig ENDPOINT PROJECT_ID */
#define _POSIX_C_SOURCE 200112L /* setenv */
#include "apig.h"
#include "harness.h"

#include <limits.h>
#include <stdlib.h>

static const char *endpoint;
static const char *project;
static const char *token = "emulator-token";

static void test_version_and_status_names(void) {
    CHECK(str_eq(apig_version(), APIG_VERSION_STRING));
    CHECK(str_eq(apig_status_str(APIG_OK), "APIG_OK"));
    CHECK(str_eq(apig_status_str(APIG_E_NOT_FOUND), "APIG_E_NOT_FOUND"));
    CHECK(str_eq(apig_status_str(APIG_E_HTTP_STATUS), "APIG_E_HTTP_STATUS"));
    CHECK(str_eq(apig_status_str(APIG_E_CANCELLED), "APIG_E_CANCELLED"));
    CHECK(str_eq(apig_status_str(APIG_E_CREDENTIALS), "APIG_E_CREDENTIALS"));
    CHECK(APIG_E_CREDENTIALS == 16);
    CHECK(str_eq(apig_status_str(APIG_E_IN_USE), "APIG_E_IN_USE"));
    CHECK(APIG_E_IN_USE == 17);
    CHECK(str_eq(apig_status_str(18), "APIG_E_UNKNOWN"));
    CHECK(str_eq(apig_status_str(-1), "APIG_E_UNKNOWN"));
    CHECK(str_eq(apig_status_str(INT_MAX), "APIG_E_UNKNOWN"));
    CHECK(str_eq(apig_status_str(INT_MIN), "APIG_E_UNKNOWN"));
}

static void test_null_error_object(void) {
    apig_error_free(NULL);
    apig_client_free(NULL);
    apig_client_options_free(NULL);
    CHECK_STATUS(apig_error_status(NULL), APIG_E_INVALID_ARGUMENT);
    CHECK(apig_error_http_status(NULL) == 0);
    CHECK(apig_error_code(NULL) == NULL);
    CHECK(apig_error_request_id(NULL) == NULL);
    CHECK(apig_error_message(NULL) != NULL);
    CHECK(apig_error_domain_count(NULL) == 0);
    CHECK(apig_error_domain(NULL, 0) == NULL);
}

static void test_one_shot_success_and_errors(void) {
    apig_error *err = (apig_error *)1; /* must be reset to NULL on success */
    CHECK_STATUS(apig_delete_certificate(endpoint, project, "c-ok-1", token, &err), APIG_OK);
    CHECK(err == NULL);

    CHECK_STATUS(apig_delete_certificate(endpoint, project, "c-ok-1", token, &err), APIG_E_NOT_FOUND);
    CHECK(err != NULL);
    CHECK_STATUS(apig_error_status(err), APIG_E_NOT_FOUND);
    CHECK(apig_error_http_status(err) == 404);
    CHECK(str_eq(apig_error_code(err), "APIG.3021"));
    CHECK(str_has(apig_error_message(err), "does not exist"));
    CHECK(str_has(apig_error_request_id(err), "emu-"));
    CHECK(apig_error_attempts(err) == 1);
    apig_error_free(err);

    /* Refused because it is bound: APIG's 403, and the domain names it is bound to. */
    CHECK_STATUS(apig_delete_certificate(endpoint, project, "c-bound", token, &err), APIG_E_IN_USE);
    CHECK(apig_error_http_status(err) == 403);
    CHECK(str_eq(apig_error_code(err), "APIG.3474"));
    CHECK(apig_error_domain_count(err) == 1);
    CHECK(str_eq(apig_error_domain(err, 0), "www.example.com"));
    CHECK(apig_error_domain(err, 1) == NULL);
    apig_error_free(err);

    CHECK_STATUS(apig_delete_certificate(endpoint, project, "c-ok-2", "wrong-token", &err), APIG_E_UNAUTHORIZED);
    CHECK(str_eq(apig_error_code(err), "APIG.1002"));
    CHECK(!str_has(apig_error_message(err), "wrong-token"));
    apig_error_free(err);

    /* error may be NULL: the status alone is returned */
    CHECK_STATUS(apig_delete_certificate(endpoint, project, "missing", token, NULL), APIG_E_NOT_FOUND);
}

/* The one-shot call with these arguments is refused before any I/O, saying `why`. */
static void refused(const char *at, const char *project_id, const char *cert, const char *auth, const char *why) {
    apig_error *err = NULL;
    CHECK_STATUS(apig_delete_certificate(at, project_id, cert, auth, &err), APIG_E_INVALID_ARGUMENT);
    CHECK(str_has(apig_error_message(err), why));
    apig_error_free(err);
}

static void test_invalid_arguments(void) {
    apig_error *err = NULL;
    const char bad_utf8[] = {'c', (char)0xff, (char)0xfe, 0};
    CHECK_STATUS(apig_delete_certificate(NULL, project, "c", token, &err), APIG_E_INVALID_ARGUMENT);
    CHECK(str_has(apig_error_message(err), "endpoint is NULL"));
    CHECK(apig_error_http_status(err) == 0);
    CHECK(apig_error_attempts(err) == 0);
    apig_error_free(err);
    refused(endpoint, NULL, "c", token, "project_id");
    refused(endpoint, project, NULL, token, "certificate_id");
    refused(endpoint, project, "c", NULL, "auth_token");
    refused(endpoint, project, bad_utf8, token, "UTF-8");
    CHECK_STATUS(apig_delete_certificate(endpoint, project, "../etc", token, &err), APIG_E_INVALID_ARGUMENT);
    apig_error_free(err);
    CHECK_STATUS(apig_delete_certificate(endpoint, project, "c", "tok\r\nX-Injected: 1", &err), APIG_E_INVALID_ARGUMENT);
    CHECK(!str_has(apig_error_message(err), "X-Injected"));
    apig_error_free(err);
    CHECK_STATUS(apig_delete_certificate("http://203.0.113.7", project, "c", token, &err), APIG_E_INVALID_ARGUMENT);
    CHECK(str_has(apig_error_message(err), "plain http"));
    apig_error_free(err);
    CHECK_STATUS(apig_delete_certificate("ftp://x", project, "c", token, NULL), APIG_E_INVALID_ARGUMENT);
}

static apig_client *make_client(unsigned timeout_ms, unsigned retries) {
    apig_client_options *opts = apig_client_options_new();
    apig_client *client = NULL;
    apig_error *err = NULL;
    CHECK(opts != NULL);
    CHECK_STATUS(apig_client_options_set_endpoint(opts, endpoint), APIG_OK);
    CHECK_STATUS(apig_client_options_set_project_id(opts, project), APIG_OK);
    CHECK_STATUS(apig_client_options_set_token(opts, token), APIG_OK);
    CHECK_STATUS(apig_client_options_set_timeout_ms(opts, timeout_ms), APIG_OK);
    CHECK_STATUS(apig_client_options_set_max_retries(opts, retries), APIG_OK);
    CHECK_STATUS(apig_client_new(opts, &client, &err), APIG_OK);
    CHECK(err == NULL);
    apig_client_options_free(opts);
    return client;
}

static void expect(apig_client *client, const char *id, apig_status want, int http, const char *code) {
    apig_error *err = NULL;
    apig_status got = apig_client_delete_certificate(client, NULL, id, false, &err);
    CHECK_STATUS(got, want);
    CHECK_STATUS(apig_error_status(err), want);
    CHECK(apig_error_http_status(err) == http);
    if (code != NULL) {
        CHECK(str_eq(apig_error_code(err), code));
    }
    CHECK(apig_error_message(err) != NULL);
    apig_error_free(err);
}

static void test_client_every_error_row(void) {
    apig_client *client = make_client(20000, 0);
    apig_error *err = NULL;
    CHECK_STATUS(apig_client_delete_certificate(client, NULL, "c-ok-2", false, &err), APIG_OK);
    CHECK_STATUS(apig_client_delete_certificate(client, project, "c-ok-3", false, &err), APIG_OK);
    CHECK_STATUS(apig_client_delete_certificate(client, NULL, "c-ok-3", true, &err), APIG_OK);
    CHECK(err == NULL);
    expect(client, "e400", APIG_E_BAD_REQUEST, 400, "APIG.2012");
    expect(client, "e401", APIG_E_UNAUTHORIZED, 401, "APIG.1002");
    expect(client, "e403", APIG_E_FORBIDDEN, 403, "APIG.1005");
    expect(client, "c-ok-3", APIG_E_NOT_FOUND, 404, "APIG.3021");
    expect(client, "e409", APIG_E_CONFLICT, 409, "APIG.3000");
    expect(client, "e418", APIG_E_HTTP_STATUS, 418, NULL);
    expect(client, "e500", APIG_E_SERVER, 500, "APIG.9999");
    expect(client, "e502", APIG_E_SERVER, 502, NULL);
    expect(client, "redirect", APIG_E_PROTOCOL, 302, NULL);
    expect(client, "reset", APIG_E_CONNECT, 0, NULL);

    CHECK_STATUS(apig_client_delete_certificate(client, NULL, "e502", false, &err), APIG_E_SERVER);
    CHECK(str_has(apig_error_body(err), "502 Bad Gateway"));
    apig_error_free(err);
    apig_client_free(client);

    client = make_client(500, 0);
    expect(client, "slow", APIG_E_TIMEOUT, 0, NULL);
    apig_client_free(client);

    /* e429's Retry-After (an hour) holds every later call of its client: a client of its own. */
    client = make_client(20000, 0);
    expect(client, "e429", APIG_E_RATE_LIMITED, 429, "APIG.0308");
    apig_client_free(client);
}

static void test_client_retries(void) {
    apig_client *client = make_client(20000, 2);
    apig_error *err = NULL;
    /* A 502: retried max_retries times. */
    CHECK_STATUS(apig_client_delete_certificate(client, NULL, "e502", false, &err), APIG_E_SERVER);
    CHECK(apig_error_attempts(err) == 3);
    CHECK(apig_error_http_status(err) == 502);
    apig_error_free(err);
    CHECK_STATUS(apig_client_delete_certificate(client, NULL, "e400", false, &err), APIG_E_BAD_REQUEST);
    CHECK(apig_error_attempts(err) == 1);
    apig_error_free(err);
    CHECK(apig_client_throttled(client) == 0);
    /* A 429 whose Retry-After (an hour) is past the deadline: throttling is not retried as the
     * others (max_retries does not count it) but at the client's rate, and this turn would come
     * after the deadline: the call ends at once with the 429, intact. (tests/c/test_throttle.c
     * has throttled calls that go through.) */
    CHECK_STATUS(apig_client_delete_certificate(client, NULL, "e429", false, &err), APIG_E_RATE_LIMITED);
    CHECK(apig_error_attempts(err) == 1);
    CHECK(str_eq(apig_error_code(err), "APIG.0308"));
    CHECK(str_has(apig_error_body(err), "Throttled"));
    CHECK(str_has(apig_error_message(err), "the call's deadline comes before its turn"));
    apig_error_free(err);
    CHECK(apig_client_throttled(client) == 1);
    apig_client_free(client);
}

/* The log callback collects records here (the test is single-threaded). */
struct records {
    char text[8192];
    int count, warnings;
    apig_log_level worst;
};

static void collect(apig_log_level level, const char *message, void *user_data) {
    struct records *r = user_data;
    size_t used = strlen(r->text);
    r->count++;
    if (level == APIG_LOG_WARN) r->warnings++;
    if (used + strlen(message) + 2 < sizeof r->text) {
        strcat(r->text, message);
        strcat(r->text, "\n");
    }
}

static void test_log_callback(void) {
    struct records records;
    apig_client *client = make_client(20000, 2);
    apig_error *err = NULL;
    memset(&records, 0, sizeof records);
    CHECK_STATUS(apig_set_log_callback(collect, &records, 99), APIG_E_INVALID_ARGUMENT);
    CHECK_STATUS(apig_set_log_callback(collect, &records, APIG_LOG_INFO), APIG_OK);
    CHECK_STATUS(apig_client_delete_certificate(client, NULL, "e502", false, &err), APIG_E_SERVER);
    apig_error_free(err);
    CHECK_STATUS(apig_client_delete_certificate(client, NULL, "no-such-cert-log", false, &err), APIG_E_NOT_FOUND);
    apig_error_free(err);
    /* 3 attempts of e502 (2 retries, each a warning), 1 of the 404. */
    CHECK(records.count == 6);
    CHECK(records.warnings == 2);
    CHECK(str_has(records.text, "/apigw/certificates/e502 -> 502 in "));
    CHECK(str_has(records.text, "(attempt 3, request id emu-"));
    CHECK(str_has(records.text, "retrying certificate e502 in "));
    CHECK(str_has(records.text, "/apigw/certificates/no-such-cert-log -> 404 in "));
    CHECK(!str_has(records.text, token));
    /* A throttling answer: its attempt, and the limiter turning on (the Retry-After holds every
     * call of that client: the 429 is the last call of this one). */
    CHECK_STATUS(apig_client_delete_certificate(client, NULL, "e429", false, &err), APIG_E_RATE_LIMITED);
    apig_error_free(err);
    CHECK(records.count == 8);
    CHECK(records.warnings == 2);
    CHECK(str_has(records.text, "/apigw/certificates/e429 -> 429 in "));
    CHECK(str_has(records.text, "the gateway throttles (1 throttling answers so far)"));
    CHECK(!str_has(records.text, "retrying certificate e429"));
    apig_client_free(client);
    /* Off again: nothing more arrives. */
    CHECK_STATUS(apig_set_log_callback(NULL, NULL, APIG_LOG_TRACE), APIG_OK);
    client = make_client(20000, 2);
    CHECK_STATUS(apig_client_delete_certificate(client, NULL, "no-such-cert-log", false, NULL), APIG_E_NOT_FOUND);
    CHECK(records.count == 8);
    apig_client_free(client);
}

static void test_client_null_and_bad_options(void) {
    apig_client_options *opts = apig_client_options_new();
    apig_client *client = (apig_client *)1;
    apig_error *err = NULL;
    CHECK_STATUS(apig_client_options_set_endpoint(NULL, endpoint), APIG_E_INVALID_ARGUMENT);
    CHECK_STATUS(apig_client_options_set_endpoint(opts, NULL), APIG_E_INVALID_ARGUMENT);
    CHECK_STATUS(apig_client_options_set_ak_sk(opts, "AK", NULL), APIG_E_INVALID_ARGUMENT);
    CHECK_STATUS(apig_client_new(NULL, &client, &err), APIG_E_INVALID_ARGUMENT);
    CHECK(client == NULL);
    apig_error_free(err);
    CHECK_STATUS(apig_client_new(opts, NULL, &err), APIG_E_INVALID_ARGUMENT);
    apig_error_free(err);

    /* No endpoint, then no credentials, then conflicting credentials. */
    CHECK_STATUS(apig_client_new(opts, &client, &err), APIG_E_INVALID_ARGUMENT);
    CHECK(str_has(apig_error_message(err), "endpoint"));
    apig_error_free(err);
    CHECK_STATUS(apig_client_options_set_endpoint(opts, endpoint), APIG_OK);
    CHECK_STATUS(apig_client_new(opts, &client, &err), APIG_E_INVALID_ARGUMENT);
    CHECK(str_has(apig_error_message(err), "no credentials"));
    apig_error_free(err);
    CHECK_STATUS(apig_client_options_set_token(opts, token), APIG_OK);
    CHECK_STATUS(apig_client_options_set_ak_sk(opts, "AKID", "SECRETSK"), APIG_OK);
    CHECK_STATUS(apig_client_new(opts, &client, &err), APIG_E_INVALID_ARGUMENT);
    CHECK(str_has(apig_error_message(err), "conflicting"));
    CHECK(!str_has(apig_error_message(err), "SECRETSK"));
    apig_error_free(err);
    CHECK_STATUS(apig_client_options_set_timeout_ms(opts, 0), APIG_OK);
    apig_client_options_free(opts);

    CHECK_STATUS(apig_client_delete_certificate(NULL, NULL, "c", false, &err), APIG_E_INVALID_ARGUMENT);
    CHECK(str_has(apig_error_message(err), "client is NULL"));
    apig_error_free(err);
}

static void test_client_aksk(void) {
    apig_client_options *opts = apig_client_options_new();
    apig_client *client = NULL;
    apig_error *err = NULL;
    apig_client_options_set_endpoint(opts, endpoint);
    apig_client_options_set_project_id(opts, project);
    CHECK_STATUS(apig_client_options_set_ak_sk(opts, "EMULATORAK0000000001", "emulator-secret-key-0000000000000001"), APIG_OK);
    CHECK_STATUS(apig_client_new(opts, &client, &err), APIG_OK);
    CHECK_STATUS(apig_client_delete_certificate(client, NULL, "c-ok-4", false, &err), APIG_OK);
    CHECK_STATUS(apig_client_options_set_security_token(opts, "TEMP-SECURITY-TOKEN"), APIG_OK);
    apig_client_free(client);
    CHECK_STATUS(apig_client_new(opts, &client, &err), APIG_OK);
    CHECK_STATUS(apig_client_delete_certificate(client, NULL, "c-ok-5", false, &err), APIG_OK);
    apig_client_free(client);
    apig_client_options_free(opts);
}

static void test_client_from_env(void) {
    apig_client_options *opts = apig_client_options_new();
    apig_client *client = NULL;
    apig_error *err = NULL;
    setenv("HOME", "/nonexistent-apig-home", 1);
    unsetenv("HUAWEICLOUD_SDK_CREDENTIALS_FILE");
    setenv("HUAWEICLOUD_SDK_AK", "EMULATORAK0000000001", 1);
    setenv("HUAWEICLOUD_SDK_SK", "emulator-secret-key-0000000000000001", 1);
    setenv("HUAWEICLOUD_SDK_SECURITY_TOKEN", "ENV-SECURITY-TOKEN", 1);
    setenv("HUAWEICLOUD_SDK_PROJECT_ID", project, 1);
    CHECK_STATUS(apig_client_options_set_endpoint(opts, endpoint), APIG_OK);
    CHECK_STATUS(apig_client_options_load_env(opts, &err), APIG_OK);
    CHECK(err == NULL);
    CHECK_STATUS(apig_client_new(opts, &client, &err), APIG_OK);
    CHECK_STATUS(apig_client_delete_certificate(client, NULL, "c-env", false, &err), APIG_OK);
    apig_client_free(client);
    apig_client_options_free(opts);

    /* A named credentials file that does not exist is an error, not a silent fallback. */
    opts = apig_client_options_new();
    unsetenv("HUAWEICLOUD_SDK_AK");
    unsetenv("HUAWEICLOUD_SDK_SK");
    setenv("HUAWEICLOUD_SDK_CREDENTIALS_FILE", "/nonexistent/credentials", 1);
    CHECK_STATUS(apig_client_options_load_env(opts, &err), APIG_E_INVALID_ARGUMENT);
    CHECK(str_has(apig_error_message(err), "/nonexistent/credentials"));
    apig_error_free(err);
    CHECK_STATUS(apig_client_options_load_env(NULL, NULL), APIG_E_INVALID_ARGUMENT);
    unsetenv("HUAWEICLOUD_SDK_CREDENTIALS_FILE");
    apig_client_options_free(opts);
}

static void test_outcomes(void) {
    apig_client_options *opts = apig_client_options_new();
    apig_client *client = NULL;
    apig_error *err = NULL;
    apig_outcome outcome = APIG_OUTCOME_DELETED;
    int http_status = -1;
    apig_client_options_set_endpoint(opts, endpoint);
    apig_client_options_set_project_id(opts, project);
    apig_client_options_set_token(opts, token);
    CHECK_STATUS(apig_client_new(opts, &client, &err), APIG_OK);
    CHECK_STATUS(apig_client_delete_certificate_outcome(client, NULL, "c-outcome", true, &outcome, &http_status, &err), APIG_OK);
    CHECK(outcome == APIG_OUTCOME_DELETED && http_status == 204);
    CHECK_STATUS(apig_client_delete_certificate_outcome(client, NULL, "c-outcome", true, &outcome, &http_status, &err), APIG_OK);
    CHECK(outcome == APIG_OUTCOME_ALREADY_ABSENT && http_status == 404);
    CHECK_STATUS(apig_client_delete_certificate_outcome(client, NULL, "c-outcome", false, &outcome, &http_status, &err), APIG_E_NOT_FOUND);
    CHECK(outcome == APIG_OUTCOME_NONE && http_status == 0);
    apig_error_free(err);
    /* Both out-pointers may be NULL. */
    CHECK_STATUS(apig_client_delete_certificate_outcome(client, NULL, "c-outcome", true, NULL, NULL, NULL), APIG_OK);
    CHECK_STATUS(apig_client_delete_certificate_outcome(NULL, NULL, "c", true, &outcome, NULL, NULL), APIG_E_INVALID_ARGUMENT);
    CHECK(outcome == APIG_OUTCOME_NONE);
    apig_client_free(client);
    apig_client_options_free(opts);
}

static void test_connect_refused(void) {
    apig_error *err = NULL;
    CHECK_STATUS(apig_delete_certificate("http://127.0.0.1:1", project, "c", token, &err), APIG_E_CONNECT);
    CHECK(apig_error_http_status(err) == 0);
    apig_error_free(err);
}

/* Several endpoints: a refused first one moves the call to the second (an answer never does);
 * every endpoint down is one error naming each; one endpoint or several, not both. */
static void test_failover(void) {
    apig_client_options *opts = apig_client_options_new();
    apig_client *client = NULL;
    apig_error *err = NULL;
    apig_client_options_set_project_id(opts, project);
    apig_client_options_set_token(opts, token);
    CHECK_STATUS(apig_client_options_add_endpoint(opts, "http://127.0.0.1:1"), APIG_OK);
    CHECK_STATUS(apig_client_options_add_endpoint(opts, endpoint), APIG_OK);
    CHECK_STATUS(apig_client_options_add_endpoint(opts, NULL), APIG_E_INVALID_ARGUMENT);
    CHECK_STATUS(apig_client_new(opts, &client, &err), APIG_OK);
    CHECK_STATUS(apig_client_delete_certificate(client, NULL, "c-failover", false, &err), APIG_OK);
    /* The next call starts where the last one was answered: a 404 from there, never moved. */
    CHECK_STATUS(apig_client_delete_certificate(client, NULL, "c-failover", false, &err), APIG_E_NOT_FOUND);
    apig_error_free(err);
    err = NULL;
    apig_client_free(client);
    apig_client_options_free(opts);

    opts = apig_client_options_new();
    apig_client_options_set_project_id(opts, project);
    apig_client_options_set_token(opts, token);
    apig_client_options_set_max_retries(opts, 0);
    apig_client_options_add_endpoint(opts, "http://127.0.0.1:1");
    apig_client_options_add_endpoint(opts, "http://127.0.0.1:2");
    CHECK_STATUS(apig_client_new(opts, &client, &err), APIG_OK);
    CHECK_STATUS(apig_client_delete_certificate(client, NULL, "c-failover", false, &err), APIG_E_CONNECT);
    CHECK(str_eq(apig_error_message(err), "no endpoint could be reached: connection refused (http://127.0.0.1:1); "
                                          "connection refused (http://127.0.0.1:2)"));
    apig_error_free(err);
    err = NULL;
    apig_client_free(client);
    client = NULL;
    apig_client_options_set_endpoint(opts, endpoint);
    CHECK_STATUS(apig_client_new(opts, &client, &err), APIG_E_INVALID_ARGUMENT);
    CHECK(str_has(apig_error_message(err), "conflicting endpoints"));
    CHECK(client == NULL);
    apig_error_free(err);
    apig_client_options_free(opts);
}

static void test_secret_echo_is_scrubbed(void) {
    apig_error *err = NULL;
    /* The server echoes the token back: the error shows it redacted. */
    CHECK_STATUS(apig_delete_certificate(endpoint, project, "echo", "C-SECRET-TOKEN-5a1f", &err), APIG_E_BAD_REQUEST);
    CHECK(str_has(apig_error_message(err), "<redacted>"));
    CHECK(!str_has(apig_error_message(err), "C-SECRET-TOKEN-5a1f"));
    CHECK(!str_has(apig_error_body(err), "C-SECRET-TOKEN-5a1f"));
    apig_error_free(err);
}

int main(int argc, char **argv) {
    if (!endpoint_and_project(argc, argv, &endpoint, &project)) return 2;
    test_version_and_status_names();
    test_null_error_object();
    test_one_shot_success_and_errors();
    test_invalid_arguments();
    test_client_every_error_row();
    test_client_retries();
    test_log_callback();
    test_client_null_and_bad_options();
    test_client_aksk();
    test_client_from_env();
    test_outcomes();
    test_connect_refused();
    test_failover();
    test_secret_echo_is_scrubbed();
    return finish("test_apig");
}
