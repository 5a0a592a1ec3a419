/* Every option through the C setters: run.sh passes the values of tests/options/cases.json as
 * arguments (OPTION VALUE pairs) and compares the messages this prints, one per line, with the
 * messages written there (the Rust and Python surfaces give the same ones).
 * Usage: test_options OPTION VALUE [OPTION VALUE ...]  -> "OPTION<TAB>message" lines */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apig.h"

static apig_status set(apig_client_options *o, const char *option, const char *value) {
    if (strcmp(option, "endpoint") == 0) return apig_client_options_set_endpoint(o, value);
    if (strcmp(option, "region") == 0) return apig_client_options_set_region(o, value);
    if (strcmp(option, "project_id") == 0) return apig_client_options_set_project_id(o, value);
    if (strcmp(option, "timeout") == 0) return apig_client_options_set_timeout_ms(o, (uint32_t)strtoul(value, NULL, 10));
    if (strcmp(option, "connect_timeout") == 0)
        return apig_client_options_set_connect_timeout_ms(o, (uint32_t)strtoul(value, NULL, 10));
    if (strcmp(option, "max_retries") == 0) return apig_client_options_set_max_retries(o, (uint32_t)strtoul(value, NULL, 10));
    if (strcmp(option, "max_rate") == 0) return apig_client_options_set_max_rate(o, strtod(value, NULL));
    if (strcmp(option, "ca_file") == 0) return apig_client_options_set_ca_file(o, value);
    if (strcmp(option, "proxy") == 0) return apig_client_options_set_proxy(o, value);
    if (strcmp(option, "iam_endpoint") == 0) return apig_client_options_set_iam_endpoint(o, value);
    if (strcmp(option, "metadata_endpoint") == 0) return apig_client_options_set_metadata_endpoint(o, value);
    if (strcmp(option, "token") == 0) return apig_client_options_set_token(o, value);
    if (strcmp(option, "ak") == 0) return apig_client_options_set_ak_sk(o, value, "secret");
    if (strcmp(option, "user_name") == 0) return apig_client_options_set_password(o, value, "pw", "acme");
    fprintf(stderr, "test_options: no C setter for %s\n", option);
    exit(2);
}

int main(int argc, char **argv) {
    int i;
    for (i = 1; i + 1 < argc; i += 2) {
        const char *option = argv[i], *value = argv[i + 1];
        apig_client_options *o = apig_client_options_new();
        apig_client *client = NULL;
        apig_error *err = NULL;
        /* The base of every case: an endpoint, a project, a token (each case changes one). */
        if (strcmp(option, "region") != 0) apig_client_options_set_endpoint(o, "http://127.0.0.1:9");
        apig_client_options_set_project_id(o, "p1");
        if (strcmp(option, "ak") != 0 && strcmp(option, "user_name") != 0) apig_client_options_set_token(o, "t");
        if (set(o, option, value) != APIG_OK) {
            printf("%s\tsetter refused it\n", option);
        } else if (apig_client_new(o, &client, &err) == APIG_OK) {
            printf("%s\taccepted\n", option);
            apig_client_free(client);
        } else {
            printf("%s\t%s\n", option, apig_error_message(err));
            apig_error_free(err);
        }
        apig_client_options_free(o);
    }
    return 0;
}
