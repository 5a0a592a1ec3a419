/* The calls around the delete from C, against a bare emulator this program seeds itself through
 * the control API: the listing over two gateways and the global certificates, its filters, bound
 * domains, a refused delete of a bound certificate (APIG_E_IN_USE with the domain names, nothing
 * detached), detach-then-delete, and arguments refused before any I/O (the emulator's request log
 * says what was sent).
 * Usage: test_lifecycle ENDPOINT PROJECT_ID */
#define _POSIX_C_SOURCE 200112L /* sockets */
#include "apig.h"
#include "harness.h"
#include "control.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *endpoint;
static const char *project;
static const char *token = "emulator-token";

/* ---- the emulator's control API, over a plain socket ---------------------------------------- */

/* Sends METHOD PATH to this test's emulator (control.h); the answer's body (free it) or NULL. */
static char *control(const char *method, const char *path, const char *body) {
    return emulator_control(endpoint, method, path, body);
}

/* PUT a control resource; true when the emulator took it. */
static int put(const char *path, const char *body) {
    char *answer = control("PUT", path, body);
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

/* Where `needle` first occurs in `haystack` (as an offset), or -1. */
static long position(const char *haystack, const char *needle) {
    const char *at = haystack ? strstr(haystack, needle) : NULL;
    return at ? (long)(at - haystack) : -1;
}

/* ---- the seeds ----------------------------------------------------------------------------- */

/* Two gateways; an instance certificate on each; two global ones; a global one bound to two
 * domain names, www on both gateways. */
static int seed(void) {
    char path[256];
    int ok = 1;
    const char *certs[][2] = {
        {"inst-a-old",
         "{\"name\":\"www-old\",\"common_name\":\"www.example.com\",\"san\":[\"www.example.com\",\"example.com\"],"
         "\"not_after\":\"2021-04-26T17:03:30+08:00\",\"instance_id\":\"gw-a\",\"signature_algorithm\":\"SHA256-RSA\","
         "\"algorithm_type\":null}"},
        {"inst-b-new",
         "{\"name\":\"api\",\"common_name\":\"api.example.com\",\"not_after\":\"2035-06-01T00:00:00Z\","
         "\"instance_id\":\"gw-b\",\"signature_algorithm\":\"SHA256-ECDSA\",\"algorithm_type\":\"ECC\"}"},
        {"glob-old",
         "{\"name\":\"www-global\",\"common_name\":\"old.example.com\",\"not_after\":\"2020-01-01T00:00:00Z\"}"},
        {"glob-new", "{}"},
        {"bound",
         "{\"bindings\":["
         "{\"domain\":\"www.example.com\",\"instance_id\":\"gw-a\",\"domain_id\":\"dom-1\",\"group_id\":\"grp-1\","
         "\"group_name\":\"shop\"},"
         "{\"domain\":\"api.example.com\",\"instance_id\":\"gw-a\"},"
         "{\"domain\":\"www.example.com\",\"instance_id\":\"gw-b\"}]}"},
    };
    size_t i;
    snprintf(path, sizeof path, "/_emulator/projects/%s/gateways/gw-a", project);
    ok &= put(path, NULL);
    snprintf(path, sizeof path, "/_emulator/projects/%s/gateways/gw-b", project);
    ok &= put(path, NULL);
    for (i = 0; i < sizeof certs / sizeof certs[0]; i++) {
        snprintf(path, sizeof path, "/_emulator/projects/%s/certificates/%s", project, certs[i][0]);
        ok &= put(path, certs[i][1]);
    }
    free(take_requests());
    return ok;
}

static apig_client *make_client(int aksk) {
    apig_client_options *opts = apig_client_options_new();
    apig_client *client = NULL;
    apig_error *err = NULL;
    apig_client_options_set_endpoint(opts, endpoint);
    apig_client_options_set_project_id(opts, project);
    if (aksk) {
        apig_client_options_set_ak_sk(opts, "EMULATORAK0000000001", "emulator-secret-key-0000000000000001");
    } else {
        apig_client_options_set_token(opts, token);
    }
    apig_client_options_set_max_retries(opts, 0);
    CHECK_STATUS(apig_client_new(opts, &client, &err), APIG_OK);
    apig_error_free(err);
    apig_client_options_free(opts);
    return client;
}

/* The certificate of `list` with this id, or NULL. */
static const apig_certificate *find(const apig_certificate_list *list, const char *id) {
    size_t i;
    for (i = 0; i < apig_certificate_list_len(list); i++) {
        if (str_eq(apig_certificate_id(apig_certificate_list_get(list, i)), id)) {
            return apig_certificate_list_get(list, i);
        }
    }
    return NULL;
}

/* The listing with these arguments holds exactly `ids` (each once, in any order). */
static void lists_exactly(apig_client *client, const char *instance_id, const char *name, const char *common_name,
                          const char *const *ids, size_t count) {
    apig_certificate_list *list = NULL;
    apig_error *err = NULL;
    size_t i, j, seen;
    CHECK_STATUS(apig_client_list_certificates(client, NULL, instance_id, name, common_name, &list, &err), APIG_OK);
    CHECK(err == NULL);
    CHECK(apig_certificate_list_len(list) == count);
    for (i = 0; i < count; i++) {
        for (seen = 0, j = 0; j < apig_certificate_list_len(list); j++) {
            seen += str_eq(apig_certificate_id(apig_certificate_list_get(list, j)), ids[i]);
        }
        if (seen != 1) fprintf(stderr, "  (%s is listed %lu times)\n", ids[i], (unsigned long)seen);
        CHECK(seen == 1);
    }
    apig_certificate_list_free(list);
}

/* ---- the tests ----------------------------------------------------------------------------- */

static void test_listing_over_two_gateways_and_globals(void) {
    apig_client *client = make_client(0);
    apig_certificate_list *list = (apig_certificate_list *)1; /* set to the list */
    apig_error *err = (apig_error *)1;                        /* set to NULL on success */
    const apig_certificate *c;
    const char *all[] = {"inst-a-old", "inst-b-new", "glob-old", "glob-new", "bound"};
    char *log;
    size_t expired = 0, i;

    CHECK_STATUS(apig_client_list_certificates(client, NULL, NULL, NULL, NULL, &list, &err), APIG_OK);
    CHECK(err == NULL);
    CHECK(list != NULL && list != (apig_certificate_list *)1);
    CHECK(apig_certificate_list_len(list) == 5);
    lists_exactly(client, NULL, NULL, NULL, all, 5);

    c = find(list, "inst-a-old");
    CHECK(c != NULL);
    CHECK(str_eq(apig_certificate_name(c), "www-old"));
    CHECK(str_eq(apig_certificate_common_name(c), "www.example.com"));
    CHECK(apig_certificate_san_count(c) == 2);
    CHECK(str_eq(apig_certificate_san(c, 0), "www.example.com"));
    CHECK(str_eq(apig_certificate_san(c, 1), "example.com"));
    CHECK(apig_certificate_san(c, 2) == NULL);
    CHECK(apig_certificate_san(c, SIZE_MAX) == NULL);
    CHECK(str_eq(apig_certificate_type(c), "instance"));
    CHECK(str_eq(apig_certificate_instance_id(c), "gw-a"));
    /* 2021-04-26T17:03:30+08:00 is 09:03:30 UTC. */
    CHECK(apig_certificate_not_after(c) == INT64_C(1619427810));
    CHECK(apig_certificate_expired(c));
    CHECK(str_eq(apig_certificate_signature_algorithm(c), "SHA256-RSA"));
    CHECK(apig_certificate_algorithm_type(c) == NULL);

    c = find(list, "inst-b-new");
    CHECK(c != NULL);
    CHECK(str_eq(apig_certificate_name(c), "api"));
    CHECK(str_eq(apig_certificate_type(c), "instance"));
    CHECK(str_eq(apig_certificate_instance_id(c), "gw-b"));
    CHECK(apig_certificate_not_after(c) == INT64_C(2064268800));
    CHECK(!apig_certificate_expired(c));
    CHECK(apig_certificate_san_count(c) == 0);
    CHECK(str_eq(apig_certificate_signature_algorithm(c), "SHA256-ECDSA"));
    CHECK(str_eq(apig_certificate_algorithm_type(c), "ECC"));

    c = find(list, "glob-old");
    CHECK(c != NULL);
    CHECK(str_eq(apig_certificate_type(c), "global"));
    CHECK(apig_certificate_instance_id(c) == NULL);
    CHECK(str_eq(apig_certificate_common_name(c), "old.example.com"));
    CHECK(apig_certificate_not_after(c) == INT64_C(1577836800));
    CHECK(apig_certificate_expired(c));
    CHECK(apig_certificate_san(c, 0) == NULL);

    c = find(list, "glob-new");
    CHECK(c != NULL);
    CHECK(str_eq(apig_certificate_type(c), "global"));
    CHECK(apig_certificate_instance_id(c) == NULL);
    CHECK(str_eq(apig_certificate_name(c), "glob-new"));
    CHECK(apig_certificate_not_after(c) == INT64_C(2082758400));
    CHECK(!apig_certificate_expired(c));
    CHECK(str_eq(apig_certificate_algorithm_type(c), "RSA"));

    for (i = 0; i < apig_certificate_list_len(list); i++) {
        expired += apig_certificate_expired(apig_certificate_list_get(list, i));
    }
    CHECK(expired == 2);
    CHECK(apig_certificate_list_get(list, 5) == NULL);
    CHECK(apig_certificate_list_get(list, SIZE_MAX) == NULL);
    apig_certificate_list_free(list);

    /* What one listing sends (the log cleared of the two above): the gateways, then one listing
     * per gateway, each naming it, in pages of at most 500. */
    free(take_requests());
    CHECK_STATUS(apig_client_list_certificates(client, project, NULL, NULL, NULL, &list, NULL), APIG_OK);
    apig_certificate_list_free(list);
    log = take_requests();
    CHECK(occurrences(log, "\"seq\"") == 3);
    CHECK(occurrences(log, "/apigw/instances\"") == 1);
    CHECK(occurrences(log, "instance_id=gw-a&offset=0&limit=500") == 1);
    CHECK(occurrences(log, "instance_id=gw-b&offset=0&limit=500") == 1);
    free(log);

    /* A project without any gateway has no certificate: an empty list, not an error. */
    list = NULL;
    CHECK_STATUS(apig_client_list_certificates(client, "fedcba9876543210fedcba9876543210", NULL, NULL, NULL, &list,
                                               &err),
                 APIG_OK);
    CHECK(list != NULL);
    CHECK(apig_certificate_list_len(list) == 0);
    CHECK(apig_certificate_list_get(list, 0) == NULL);
    apig_certificate_list_free(list);
    apig_client_free(client);
}

static void test_filters(void) {
    apig_client *client = make_client(0);
    apig_certificate_list *list = (apig_certificate_list *)1;
    apig_error *err = NULL;
    const char *gw_b[] = {"inst-b-new", "glob-old", "glob-new", "bound"};
    const char *www[] = {"inst-a-old", "glob-old"};
    const char *cn[] = {"inst-a-old"};
    const char *www_on_b[] = {"glob-old"};
    char *log;

    free(take_requests());
    lists_exactly(client, "gw-b", NULL, NULL, gw_b, 4);
    log = take_requests();
    /* One gateway: one listing, no listing of the gateways. */
    CHECK(occurrences(log, "\"seq\"") == 1);
    CHECK(occurrences(log, "instance_id=gw-b") == 1);
    free(log);

    lists_exactly(client, NULL, "www", NULL, www, 2);
    log = take_requests();
    CHECK(occurrences(log, "name=www") == 2); /* passed to APIG, per gateway */
    free(log);
    lists_exactly(client, NULL, NULL, "www.example.com", cn, 1);
    lists_exactly(client, "gw-b", "www", NULL, www_on_b, 1);
    lists_exactly(client, NULL, "nothing-is-named-so", NULL, NULL, 0);

    /* An unknown gateway is APIG's 404; no list. */
    CHECK_STATUS(apig_client_list_certificates(client, NULL, "gw-zzz", NULL, NULL, &list, &err), APIG_E_NOT_FOUND);
    CHECK(list == NULL);
    CHECK(apig_error_http_status(err) == 404);
    CHECK(str_eq(apig_error_code(err), "APIG.3030"));
    CHECK(apig_error_domain_count(err) == 0);
    CHECK(apig_error_domain(err, 0) == NULL);
    apig_error_free(err);
    apig_client_free(client);

    /* Signed with AK/SK: the query is part of the signature. */
    client = make_client(1);
    lists_exactly(client, "gw-b", "www", NULL, www_on_b, 1);
    apig_client_free(client);
    free(take_requests());
}

static void test_bound_domains(void) {
    apig_client *client = make_client(0);
    apig_domain_list *list = (apig_domain_list *)1;
    apig_error *err = (apig_error *)1;
    const apig_bound_domain *d;

    CHECK_STATUS(apig_client_certificate_domains(client, NULL, "bound", &list, &err), APIG_OK);
    CHECK(err == NULL);
    /* www on two gateways is two entries; in APIG's order. */
    CHECK(apig_domain_list_len(list) == 3);
    d = apig_domain_list_get(list, 0);
    CHECK(str_eq(apig_bound_domain_domain(d), "www.example.com"));
    CHECK(str_eq(apig_bound_domain_domain_id(d), "dom-1"));
    CHECK(str_eq(apig_bound_domain_instance_id(d), "gw-a"));
    CHECK(str_eq(apig_bound_domain_group_id(d), "grp-1"));
    CHECK(str_eq(apig_bound_domain_group_name(d), "shop"));
    d = apig_domain_list_get(list, 1);
    CHECK(str_eq(apig_bound_domain_domain(d), "api.example.com"));
    CHECK(str_eq(apig_bound_domain_instance_id(d), "gw-a"));
    CHECK(str_eq(apig_bound_domain_group_name(d), "group-api-example-com"));
    d = apig_domain_list_get(list, 2);
    CHECK(str_eq(apig_bound_domain_domain(d), "www.example.com"));
    CHECK(str_eq(apig_bound_domain_instance_id(d), "gw-b"));
    CHECK(apig_domain_list_get(list, 3) == NULL);
    CHECK(apig_domain_list_get(list, SIZE_MAX) == NULL);
    apig_domain_list_free(list);

    /* Bound to nothing: an empty list. Unknown: 404, no list. */
    list = NULL;
    CHECK_STATUS(apig_client_certificate_domains(client, project, "glob-new", &list, &err), APIG_OK);
    CHECK(list != NULL && apig_domain_list_len(list) == 0);
    apig_domain_list_free(list);
    CHECK_STATUS(apig_client_certificate_domains(client, NULL, "no-such-cert", &list, &err), APIG_E_NOT_FOUND);
    CHECK(list == NULL);
    CHECK(str_eq(apig_error_code(err), "APIG.3021"));
    apig_error_free(err);
    apig_client_free(client);
    free(take_requests());
}

/* The error of a refused delete of "bound": APIG_E_IN_USE with its two domain names. `*errp` is
 * read here, after the call (an argument) has set it; then freed. */
static void in_use(apig_status got, apig_error **errp) {
    apig_error *err = *errp;
    CHECK_STATUS(got, APIG_E_IN_USE);
    CHECK_STATUS(apig_error_status(err), APIG_E_IN_USE);
    CHECK(apig_error_http_status(err) == 403);
    CHECK(str_eq(apig_error_code(err), "APIG.3474"));
    CHECK(apig_error_domain_count(err) == 2);
    CHECK(str_eq(apig_error_domain(err, 0), "www.example.com"));
    CHECK(str_eq(apig_error_domain(err, 1), "api.example.com"));
    CHECK(apig_error_domain(err, 2) == NULL);
    CHECK(apig_error_domain(err, SIZE_MAX) == NULL);
    CHECK(str_has(apig_error_message(err), "certificate bound is still bound to 2 domain names "
                                           "(www.example.com, api.example.com)"));
    apig_error_free(err);
    *errp = NULL;
}

static void test_a_bound_delete_is_refused_and_nothing_detached(void) {
    apig_client *client = make_client(0);
    apig_error *err = NULL;
    apig_outcome outcome = APIG_OUTCOME_DELETED;
    int http_status = -1;
    char path[256];
    char *log, *bindings;

    in_use(apig_client_delete_certificate(client, NULL, "bound", false, &err), &err);
    log = take_requests();
    /* The delete, then the question what it is bound to; no detach. */
    CHECK(occurrences(log, "\"seq\"") == 2);
    CHECK(occurrences(log, "\"method\":\"DELETE\"") == 1);
    CHECK(occurrences(log, "/attached-domains\"") == 1);
    CHECK(occurrences(log, "\"method\":\"POST\"") == 0);
    CHECK(!str_has(log, "/domains/detach"));
    free(log);

    in_use(apig_client_delete_certificate_with(client, NULL, "bound", APIG_DELETE_MISSING_OK, &outcome, &http_status,
                                               &err),
           &err);
    CHECK(outcome == APIG_OUTCOME_NONE && http_status == 0);
    in_use(apig_delete_certificate(endpoint, project, "bound", token, &err), &err);
    log = take_requests();
    CHECK(occurrences(log, "\"method\":\"POST\"") == 0);
    free(log);

    /* Still bound to all three. */
    snprintf(path, sizeof path, "/_emulator/projects/%s/certificates/bound/bindings", project);
    bindings = control("GET", path, NULL);
    CHECK(occurrences(bindings, "\"domain\":") == 3);
    free(bindings);
    apig_client_free(client);
}

static void test_detach_then_delete(void) {
    apig_client *client = make_client(0);
    apig_error *err = (apig_error *)1;
    apig_outcome outcome = APIG_OUTCOME_NONE;
    int http_status = 0;
    const char *left[] = {"inst-a-old", "inst-b-new", "glob-old", "glob-new"};
    char path[256];
    char *log, *certificates;

    CHECK_STATUS(apig_client_delete_certificate_with(client, NULL, "bound", APIG_DELETE_DETACH_DOMAINS, &outcome,
                                                     &http_status, &err),
                 APIG_OK);
    CHECK(err == NULL);
    CHECK(outcome == APIG_OUTCOME_DELETED);
    CHECK(http_status == 204);
    log = take_requests();
    /* Look up, one batch detach with every gateway of each name, delete: in that order. */
    CHECK(occurrences(log, "\"seq\"") == 3);
    CHECK(position(log, "/bound/attached-domains\"") >= 0);
    CHECK(position(log, "/bound/attached-domains\"") < position(log, "/bound/domains/detach\""));
    CHECK(position(log, "/bound/domains/detach\"") < position(log, "\"method\":\"DELETE\""));
    CHECK(str_has(log, "{\\\"domain\\\":\\\"www.example.com\\\",\\\"instance_ids\\\":[\\\"gw-a\\\",\\\"gw-b\\\"]}"));
    CHECK(str_has(log, "{\\\"domain\\\":\\\"api.example.com\\\",\\\"instance_ids\\\":[\\\"gw-a\\\"]}"));
    free(log);

    /* Gone: from the emulator, from the listing. */
    snprintf(path, sizeof path, "/_emulator/projects/%s/certificates", project);
    certificates = control("GET", path, NULL);
    CHECK(certificates != NULL && !str_has(certificates, "\"bound\""));
    CHECK(str_has(certificates, "\"glob-new\""));
    free(certificates);
    lists_exactly(client, NULL, NULL, NULL, left, 4);

    /* Again: absent, which missing_ok accepts (detaching nothing). */
    CHECK_STATUS(apig_client_delete_certificate_with(client, NULL, "bound",
                                                     APIG_DELETE_MISSING_OK | APIG_DELETE_DETACH_DOMAINS, &outcome,
                                                     &http_status, &err),
                 APIG_OK);
    CHECK(outcome == APIG_OUTCOME_ALREADY_ABSENT && http_status == 404);
    CHECK_STATUS(apig_client_delete_certificate_with(client, NULL, "bound", APIG_DELETE_DETACH_DOMAINS, NULL, NULL,
                                                     &err),
                 APIG_E_NOT_FOUND);
    apig_error_free(err);
    /* Flags 0 on a certificate bound to nothing is a plain delete. */
    CHECK_STATUS(apig_client_delete_certificate_with(client, NULL, "glob-old", 0, &outcome, &http_status, NULL),
                 APIG_OK);
    CHECK(outcome == APIG_OUTCOME_DELETED);
    log = take_requests();
    CHECK(occurrences(log, "\"method\":\"POST\"") == 0);
    free(log);
    apig_client_free(client);
}

/* `status` is APIG_E_INVALID_ARGUMENT and `*errp` says `why` (read here, after the call, an
 * argument, has set it); then freed. */
static void refused(apig_status status, apig_error **errp, const char *why) {
    apig_error *err = *errp;
    CHECK_STATUS(status, APIG_E_INVALID_ARGUMENT);
    CHECK_STATUS(apig_error_status(err), APIG_E_INVALID_ARGUMENT);
    CHECK(apig_error_attempts(err) == 0);
    if (!str_has(apig_error_message(err), why)) fprintf(stderr, "  (message: %s)\n", apig_error_message(err));
    CHECK(str_has(apig_error_message(err), why));
    apig_error_free(err);
    *errp = NULL;
}

static void test_invalid_arguments_before_any_io(void) {
    apig_client *client = make_client(0);
    apig_certificate_list *list = (apig_certificate_list *)1;
    apig_domain_list *domains = (apig_domain_list *)1;
    apig_error *err = NULL;
    apig_outcome outcome = APIG_OUTCOME_DELETED;
    int http_status = -1;
    const char bad_utf8[] = {'w', (char)0xff, 'w', 0};
    char *log;

    free(take_requests());
    refused(apig_client_list_certificates(NULL, NULL, NULL, NULL, NULL, &list, &err), &err, "client is NULL");
    CHECK(list == NULL);
    refused(apig_client_list_certificates(client, NULL, NULL, NULL, NULL, NULL, &err), &err, "list_out is NULL");
    refused(apig_client_list_certificates(client, "../x", NULL, NULL, NULL, &list, &err), &err, "project_id");
    refused(apig_client_list_certificates(client, NULL, "gw/../x", NULL, NULL, &list, &err), &err, "instance_id");
    refused(apig_client_list_certificates(client, NULL, "", NULL, NULL, &list, &err), &err, "instance_id is empty");
    refused(apig_client_list_certificates(client, NULL, NULL, bad_utf8, NULL, &list, &err), &err, "name is not valid UTF-8");
    refused(apig_client_list_certificates(client, NULL, NULL, "a\nb", NULL, &list, &err), &err, "name contains");
    refused(apig_client_list_certificates(client, NULL, NULL, NULL, bad_utf8, &list, &err), &err, "common_name");
    CHECK(list == NULL);
    CHECK_STATUS(apig_client_list_certificates(NULL, NULL, NULL, NULL, NULL, &list, NULL), APIG_E_INVALID_ARGUMENT);

    refused(apig_client_certificate_domains(NULL, NULL, "bound", &domains, &err), &err, "client is NULL");
    CHECK(domains == NULL);
    refused(apig_client_certificate_domains(client, NULL, NULL, &domains, &err), &err, "certificate_id is NULL");
    refused(apig_client_certificate_domains(client, NULL, "../etc", &domains, &err), &err, "certificate_id");
    refused(apig_client_certificate_domains(client, NULL, "glob-new", NULL, &err), &err, "list_out is NULL");
    refused(apig_client_certificate_domains(client, bad_utf8, "glob-new", &domains, &err), &err, "project_id");

    refused(apig_client_delete_certificate_with(NULL, NULL, "glob-new", 0, &outcome, &http_status, &err), &err,
            "client is NULL");
    CHECK(outcome == APIG_OUTCOME_NONE && http_status == 0);
    refused(apig_client_delete_certificate_with(client, NULL, NULL, APIG_DELETE_DETACH_DOMAINS, NULL, NULL, &err), &err,
            "certificate_id is NULL");
    refused(apig_client_delete_certificate_with(client, NULL, "glob-new", 4, NULL, NULL, &err), &err,
            "flags has unknown bits 0x4");
    refused(apig_client_delete_certificate_with(client, NULL, "glob-new", 0xffffffffu, NULL, NULL, &err), &err,
            "unknown bits 0xfffffffc");
    refused(apig_client_delete_certificate_with(client, "../x", "glob-new", APIG_DELETE_DETACH_DOMAINS, NULL, NULL, &err),
            &err, "project_id");
    refused(apig_client_delete_certificate_with(client, NULL, "../etc", APIG_DELETE_DETACH_DOMAINS, NULL, NULL, &err),
            &err, "certificate_id");

    log = take_requests();
    CHECK(log != NULL);
    CHECK(occurrences(log, "\"seq\"") == 0); /* nothing was sent */
    free(log);
    apig_client_free(client);
}

static void test_null_objects(void) {
    apig_certificate_list_free(NULL);
    apig_domain_list_free(NULL);
    CHECK(apig_certificate_list_len(NULL) == 0);
    CHECK(apig_certificate_list_get(NULL, 0) == NULL);
    CHECK(apig_certificate_id(NULL) == NULL);
    CHECK(apig_certificate_name(NULL) == NULL);
    CHECK(apig_certificate_common_name(NULL) == NULL);
    CHECK(apig_certificate_san_count(NULL) == 0);
    CHECK(apig_certificate_san(NULL, 0) == NULL);
    CHECK(apig_certificate_type(NULL) == NULL);
    CHECK(apig_certificate_instance_id(NULL) == NULL);
    CHECK(apig_certificate_not_after(NULL) == 0);
    CHECK(!apig_certificate_expired(NULL));
    CHECK(apig_certificate_signature_algorithm(NULL) == NULL);
    CHECK(apig_certificate_algorithm_type(NULL) == NULL);
    CHECK(apig_domain_list_len(NULL) == 0);
    CHECK(apig_domain_list_get(NULL, 0) == NULL);
    CHECK(apig_bound_domain_domain(NULL) == NULL);
    CHECK(apig_bound_domain_domain_id(NULL) == NULL);
    CHECK(apig_bound_domain_instance_id(NULL) == NULL);
    CHECK(apig_bound_domain_group_id(NULL) == NULL);
    CHECK(apig_bound_domain_group_name(NULL) == NULL);
    CHECK(apig_error_domain_count(NULL) == 0);
    CHECK(apig_error_domain(NULL, 0) == NULL);
    CHECK(str_eq(apig_status_str(APIG_E_IN_USE), "APIG_E_IN_USE"));
    CHECK(APIG_E_IN_USE == 17);
}

int main(int argc, char **argv) {
    if (!endpoint_and_project(argc, argv, &endpoint, &project)) return 2;
    if (!seed()) {
        fprintf(stderr, "the emulator at %s could not be seeded\n", endpoint);
        return 2;
    }
    test_null_objects();
    test_listing_over_two_gateways_and_globals();
    test_filters();
    test_bound_domains();
    test_invalid_arguments_before_any_io();
    test_a_bound_delete_is_refused_and_nothing_detached();
    test_detach_then_delete();
    return finish("test_lifecycle");
}
