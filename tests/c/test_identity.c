/* Identity from C against the emulator's IAM, metadata service and pod identity: password
 * auth, project discovery, the apig_client_options_load_env chain, and what a failed setter
 * leaves behind. Usage: test_identity ENDPOINT PROJECT_ID */
#define _POSIX_C_SOURCE 200809L
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apig.h"
#include "harness.h"

static const char *endpoint;
static const char *project;
static char pod_uri[512];
static const char *token_file = "/tmp/apig-test-identity-pod-token";
static const char *oidc_token_file = "/tmp/apig-test-identity-oidc-token";

/* Options pointing APIG, IAM and the metadata service at the emulator, region cn-north-4. */
static apig_client_options *emulator_options(void) {
    apig_client_options *opts = apig_client_options_new();
    apig_client_options_set_endpoint(opts, endpoint);
    apig_client_options_set_region(opts, "cn-north-4");
    apig_client_options_set_iam_endpoint(opts, endpoint);
    apig_client_options_set_metadata_endpoint(opts, endpoint);
    return opts;
}

/* Creates a client and deletes one certificate; returns the status and keeps the error. */
static apig_status delete_with(apig_client_options *opts, const char *cert, apig_error **err) {
    apig_client *client = NULL;
    apig_status status = apig_client_new(opts, &client, err);
    if (status == APIG_OK) {
        status = apig_client_delete_certificate(client, NULL, cert, false, err);
    }
    apig_client_free(client);
    return status;
}

/* Every setter that can fail (a NULL string, or a credentials file that cannot be read)
 * leaves the options exactly as they were: the client built afterwards still works. */
static void test_every_failed_setter_loses_nothing(void) {
    apig_client_options *opts = apig_client_options_new();
    apig_error *err = NULL;
    apig_client *client = NULL;
    apig_outcome outcome = APIG_OUTCOME_NONE;
    CHECK_STATUS(apig_client_options_set_endpoint(opts, endpoint), APIG_OK);
    CHECK_STATUS(apig_client_options_set_project_id(opts, project), APIG_OK);
    CHECK_STATUS(apig_client_options_set_token(opts, "emulator-token"), APIG_OK);
    CHECK_STATUS(apig_client_options_set_endpoint(opts, NULL), APIG_E_INVALID_ARGUMENT);
    CHECK_STATUS(apig_client_options_set_region(opts, NULL), APIG_E_INVALID_ARGUMENT);
    CHECK_STATUS(apig_client_options_set_project_id(opts, NULL), APIG_E_INVALID_ARGUMENT);
    CHECK_STATUS(apig_client_options_set_token(opts, NULL), APIG_E_INVALID_ARGUMENT);
    CHECK_STATUS(apig_client_options_set_security_token(opts, NULL), APIG_E_INVALID_ARGUMENT);
    CHECK_STATUS(apig_client_options_set_ca_file(opts, NULL), APIG_E_INVALID_ARGUMENT);
    CHECK_STATUS(apig_client_options_set_proxy(opts, NULL), APIG_E_INVALID_ARGUMENT);
    CHECK_STATUS(apig_client_options_set_ak_sk(opts, "AK", NULL), APIG_E_INVALID_ARGUMENT);
    CHECK_STATUS(apig_client_options_set_ak_sk(opts, NULL, "SK"), APIG_E_INVALID_ARGUMENT);
    CHECK_STATUS(apig_client_options_set_password(opts, "u", NULL, "d"), APIG_E_INVALID_ARGUMENT);
    CHECK_STATUS(apig_client_options_set_password(opts, "u", "p", NULL), APIG_E_INVALID_ARGUMENT);
    CHECK_STATUS(apig_client_options_set_iam_endpoint(opts, NULL), APIG_E_INVALID_ARGUMENT);
    CHECK_STATUS(apig_client_options_set_metadata_endpoint(opts, NULL), APIG_E_INVALID_ARGUMENT);
    /* Endpoint, project and token are all still there (and nothing else was added). */
    CHECK_STATUS(apig_client_new(opts, &client, &err), APIG_OK);
    CHECK_STATUS(apig_client_delete_certificate_outcome(client, NULL, "id-never-seeded", true, &outcome, NULL, &err),
                 APIG_OK);
    CHECK(outcome == APIG_OUTCOME_ALREADY_ABSENT);
    apig_client_free(client);
    apig_client_options_free(opts);

    /* A load_env that fails (the named credentials file cannot be read; it is read because
     * no project id is set) keeps the endpoint and the token set before it. */
    opts = apig_client_options_new();
    CHECK_STATUS(apig_client_options_set_endpoint(opts, endpoint), APIG_OK);
    CHECK_STATUS(apig_client_options_set_token(opts, "emulator-token"), APIG_OK);
    setenv("HUAWEICLOUD_SDK_CREDENTIALS_FILE", "/nonexistent/apig-credentials", 1);
    CHECK_STATUS(apig_client_options_load_env(opts, &err), APIG_E_INVALID_ARGUMENT);
    CHECK(str_has(apig_error_message(err), "/nonexistent/apig-credentials"));
    apig_error_free(err);
    unsetenv("HUAWEICLOUD_SDK_CREDENTIALS_FILE");
    CHECK_STATUS(apig_client_options_set_project_id(opts, project), APIG_OK);
    CHECK_STATUS(apig_client_new(opts, &client, &err), APIG_OK);
    CHECK_STATUS(apig_client_delete_certificate_outcome(client, NULL, "id-never-seeded", true, &outcome, NULL, &err),
                 APIG_OK);
    apig_client_free(client);
    apig_client_options_free(opts);
}

static void test_password(void) {
    apig_client_options *opts = emulator_options();
    apig_error *err = NULL;
    CHECK_STATUS(apig_client_options_set_password(opts, "emulator-user", "emulator-password", "emulator-domain"), APIG_OK);
    /* No project id: it comes from the token IAM issues for the region's project. */
    CHECK_STATUS(delete_with(opts, "id-password", &err), APIG_OK);
    CHECK(err == NULL);
    apig_client_options_free(opts);

    opts = emulator_options();
    CHECK_STATUS(apig_client_options_set_password(opts, "emulator-user", "C-Wrong-Pa55word", "emulator-domain"), APIG_OK);
    /* IAM's refusal: a credentials failure with IAM's 401, not APIG_E_UNAUTHORIZED. */
    CHECK_STATUS(delete_with(opts, "id-password", &err), APIG_E_CREDENTIALS);
    CHECK(apig_error_http_status(err) == 401);
    CHECK(str_has(apig_error_message(err), "The username or password is wrong"));
    CHECK(!str_has(apig_error_message(err), "C-Wrong-Pa55word"));
    CHECK(apig_error_request_id(err) != NULL);
    apig_error_free(err);

    CHECK_STATUS(apig_client_options_set_password(opts, NULL, "p", "d"), APIG_E_INVALID_ARGUMENT);
    CHECK_STATUS(apig_client_options_set_password(opts, "u", "p", NULL), APIG_E_INVALID_ARGUMENT);
    apig_client_options_free(opts);
}

static void test_discovery(void) {
    apig_client_options *opts = emulator_options();
    apig_error *err = NULL;
    apig_client_options_set_ak_sk(opts, "EMULATORAK0000000001", "emulator-secret-key-0000000000000001");
    CHECK_STATUS(delete_with(opts, "id-discovered", &err), APIG_OK);
    apig_client_options_free(opts);

    /* No project id and no region: refused before any I/O, saying what to give. */
    opts = apig_client_options_new();
    apig_client_options_set_endpoint(opts, endpoint);
    apig_client_options_set_ak_sk(opts, "EMULATORAK0000000001", "emulator-secret-key-0000000000000001");
    CHECK_STATUS(delete_with(opts, "id-x", &err), APIG_E_INVALID_ARGUMENT);
    CHECK(str_has(apig_error_message(err), "give region to look it up in IAM"));
    apig_error_free(err);
    apig_client_options_free(opts);
}

static void clear_credential_env(void) {
    setenv("HOME", "/nonexistent-apig-home", 1);
    unsetenv("HUAWEICLOUD_SDK_AK");
    unsetenv("HUAWEICLOUD_SDK_SK");
    unsetenv("HUAWEICLOUD_SDK_SECURITY_TOKEN");
    unsetenv("HUAWEICLOUD_SDK_CREDENTIALS_FILE");
    unsetenv("HC_CONTAINER_CREDENTIALS_FULL_URI");
    unsetenv("HC_CONTAINER_AUTHORIZATION_TOKEN_FILE");
}

static void test_chain(void) {
    apig_error *err = NULL;
    clear_credential_env();
    /* ECS metadata (the endpoint from the environment, as on a real instance it is the default). */
    setenv("APIG_METADATA_ENDPOINT", endpoint, 1);
    apig_client_options *opts = apig_client_options_new();
    apig_client_options_set_endpoint(opts, endpoint);
    apig_client_options_set_project_id(opts, project);
    CHECK_STATUS(apig_client_options_load_env(opts, &err), APIG_OK);
    apig_client *client = NULL;
    CHECK_STATUS(apig_client_new(opts, &client, &err), APIG_OK);
    CHECK_STATUS(apig_client_delete_certificate(client, NULL, "id-metadata-1", false, &err), APIG_OK);
    CHECK_STATUS(apig_client_delete_certificate(client, NULL, "id-metadata-2", false, &err), APIG_OK);
    apig_client_free(client);
    apig_client_options_free(opts);

    /* CCE pod identity comes first when configured. */
    FILE *f = fopen(token_file, "w");
    CHECK(f != NULL);
    if (f != NULL) {
        fputs("emulator-pod-token\n", f);
        fclose(f);
    }
    setenv("HC_CONTAINER_CREDENTIALS_FULL_URI", pod_uri, 1);
    setenv("HC_CONTAINER_AUTHORIZATION_TOKEN_FILE", token_file, 1);
    opts = apig_client_options_new();
    apig_client_options_set_endpoint(opts, endpoint);
    apig_client_options_set_project_id(opts, project);
    CHECK_STATUS(apig_client_options_load_env(opts, &err), APIG_OK);
    CHECK_STATUS(delete_with(opts, "id-pod", &err), APIG_OK);
    apig_client_options_free(opts);
    remove(token_file);

    /* Nothing works: one error says why each source failed. */
    clear_credential_env();
    setenv("APIG_METADATA_ENDPOINT", "http://127.0.0.1:1", 1);
    opts = apig_client_options_new();
    apig_client_options_set_endpoint(opts, endpoint);
    apig_client_options_set_project_id(opts, project);
    CHECK_STATUS(apig_client_options_load_env(opts, &err), APIG_OK);
    CHECK_STATUS(delete_with(opts, "id-none", &err), APIG_E_CREDENTIALS);
    CHECK(str_has(apig_error_message(err), "no credentials found: HUAWEICLOUD_SDK_AK not set; "));
    CHECK(str_has(apig_error_message(err), "federated identity: HUAWEICLOUD_SDK_IDP_ID not set; pod identity: HC_CONTAINER_CREDENTIALS_FULL_URI not set; "));
    CHECK(str_has(apig_error_message(err), "ECS metadata http://127.0.0.1:1: connection refused"));
    apig_error_free(err);
    apig_client_options_free(opts);
    unsetenv("APIG_METADATA_ENDPOINT");
}

/* A metadata service that answers 404 (another cloud's VM, a proxy's error page; here a path the
 * emulator does not serve, answered with an APIG-shaped 404): a credentials failure with the
 * service's status, never APIG_E_NOT_FOUND, and never success with missing_ok. */
static void test_an_identity_404_is_not_apigs(void) {
    apig_error *err = NULL;
    apig_client *client = NULL;
    char nowhere[512];
    apig_client_options *opts;
    clear_credential_env();
    snprintf(nowhere, sizeof nowhere, "%s/nowhere", endpoint);
    opts = apig_client_options_new();
    apig_client_options_set_endpoint(opts, endpoint);
    apig_client_options_set_project_id(opts, project);
    apig_client_options_set_metadata_endpoint(opts, nowhere);
    CHECK_STATUS(apig_client_options_load_env(opts, &err), APIG_OK);
    CHECK_STATUS(apig_client_new(opts, &client, &err), APIG_OK);
    CHECK_STATUS(apig_client_delete_certificate(client, NULL, "c-ok-5", true, &err), APIG_E_CREDENTIALS);
    CHECK(apig_error_http_status(err) == 404);
    CHECK(str_has(apig_error_message(err), "ECS metadata"));
    apig_error_free(err);
    err = NULL;
    apig_client_free(client);
    apig_client_options_free(opts);
    /* The certificate is still there: a token deletes it now. */
    opts = apig_client_options_new();
    apig_client_options_set_endpoint(opts, endpoint);
    apig_client_options_set_project_id(opts, project);
    apig_client_options_set_token(opts, "emulator-token");
    CHECK_STATUS(delete_with(opts, "c-ok-5", &err), APIG_OK);
    apig_client_options_free(opts);
    /* A metadata endpoint off the machine in clear text: refused before any I/O. */
    opts = apig_client_options_new();
    apig_client_options_set_endpoint(opts, endpoint);
    apig_client_options_set_project_id(opts, project);
    apig_client_options_set_metadata_endpoint(opts, "http://metadata.example.com");
    CHECK_STATUS(apig_client_options_load_env(opts, &err), APIG_OK);
    CHECK_STATUS(apig_client_new(opts, &client, &err), APIG_E_INVALID_ARGUMENT);
    CHECK(str_has(apig_error_message(err), "clear text"));
    apig_error_free(err);
    apig_client_options_free(opts);
}

/* Federated identity (the emulator knows IdP c-idp, which accepts c-oidc.jwt.token): as an
 * option and from the environment; an IdP IAM does not know is a credentials failure (its 404
 * says nothing about the certificate), and half of the variables is refused by load_env. */
static void test_federated(void) {
    apig_error *err = NULL;
    FILE *f = fopen(oidc_token_file, "w");
    CHECK(f != NULL);
    if (f != NULL) {
        fputs("c-oidc.jwt.token\n", f);
        fclose(f);
    }
    apig_client_options *opts = emulator_options();
    apig_client_options_set_project_id(opts, project);
    CHECK_STATUS(apig_client_options_set_oidc(opts, "c-idp", NULL), APIG_E_INVALID_ARGUMENT);
    CHECK_STATUS(apig_client_options_set_oidc(opts, "c-idp", oidc_token_file), APIG_OK);
    CHECK_STATUS(delete_with(opts, "id-oidc", &err), APIG_OK);
    apig_client_options_free(opts);

    clear_credential_env();
    setenv("HUAWEICLOUD_SDK_IDP_ID", "c-idp", 1);
    setenv("HUAWEICLOUD_SDK_ID_TOKEN_FILE", oidc_token_file, 1);
    opts = emulator_options();
    apig_client_options_set_project_id(opts, project);
    CHECK_STATUS(apig_client_options_load_env(opts, &err), APIG_OK);
    CHECK_STATUS(delete_with(opts, "id-oidc-env", &err), APIG_OK);
    apig_client_options_free(opts);

    setenv("HUAWEICLOUD_SDK_IDP_ID", "c-unknown-idp", 1);
    opts = emulator_options();
    apig_client_options_set_project_id(opts, project);
    CHECK_STATUS(apig_client_options_load_env(opts, &err), APIG_OK);
    CHECK_STATUS(delete_with(opts, "id-oidc-env", &err), APIG_E_CREDENTIALS);
    CHECK(apig_error_http_status(err) == 404);
    CHECK(str_has(apig_error_message(err), "federated identity, IdP \"c-unknown-idp\""));
    CHECK(!str_has(apig_error_message(err), "c-oidc.jwt.token"));
    apig_error_free(err);
    err = NULL;
    apig_client_options_free(opts);

    unsetenv("HUAWEICLOUD_SDK_IDP_ID");
    opts = emulator_options();
    CHECK_STATUS(apig_client_options_load_env(opts, &err), APIG_E_INVALID_ARGUMENT);
    CHECK(str_has(apig_error_message(err), "HUAWEICLOUD_SDK_ID_TOKEN_FILE is set but HUAWEICLOUD_SDK_IDP_ID is not"));
    apig_error_free(err);
    apig_client_options_free(opts);
    unsetenv("HUAWEICLOUD_SDK_ID_TOKEN_FILE");
    remove(oidc_token_file);
}

int main(int argc, char **argv) {
    if (!endpoint_and_project(argc, argv, &endpoint, &project)) return 2;
    snprintf(pod_uri, sizeof pod_uri, "%s/pod-identity/v1/credentials", endpoint);
    test_every_failed_setter_loses_nothing();
    test_password();
    test_discovery();
    test_chain();
    test_an_identity_404_is_not_apigs();
    test_federated();
    return finish("test_identity");
}
