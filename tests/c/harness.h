/* A minimal test harness for the C tests: CHECK records a failure and goes on;
 * finish() prints the closing line "N passed, N failed" and returns the exit code. */
#ifndef APIG_TEST_HARNESS_H
#define APIG_TEST_HARNESS_H

#include <stdio.h>
#include <string.h>

static int harness_passed = 0;
static int harness_failed = 0;

#define CHECK(cond)                                                                 \
    do {                                                                            \
        if (cond) {                                                                 \
            harness_passed++;                                                       \
        } else {                                                                    \
            harness_failed++;                                                       \
            fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);         \
        }                                                                           \
    } while (0)

#define CHECK_STATUS(got, want)                                                     \
    do {                                                                            \
        int got_ = (int)(got), want_ = (int)(want);                                 \
        if (got_ == want_) {                                                        \
            harness_passed++;                                                       \
        } else {                                                                    \
            harness_failed++;                                                       \
            fprintf(stderr, "FAIL %s:%d: %s is %s, want %s\n", __FILE__, __LINE__,  \
                    #got, apig_status_str(got_), apig_status_str(want_));           \
        }                                                                           \
    } while (0)

static inline int str_eq(const char *a, const char *b) {
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

static inline int str_has(const char *haystack, const char *needle) {
    return haystack != NULL && strstr(haystack, needle) != NULL;
}

/* The arguments every test program takes: ENDPOINT PROJECT_ID. False (after a usage line)
 * when they are not there. */
static inline int endpoint_and_project(int argc, char **argv, const char **endpoint, const char **project) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s ENDPOINT PROJECT_ID\n", argv[0]);
        return 0;
    }
    *endpoint = argv[1];
    *project = argv[2];
    return 1;
}

/* `suite` is one word: the line is the plain closing line CI reads, "word: N passed, N failed". */
static inline int finish(const char *suite) {
    printf("%s: %d passed, %d failed\n", suite, harness_passed, harness_failed);
    return harness_failed == 0 ? 0 : 1;
}

#endif
