/* Shared by the benchmark's C clients: the clock, peak RSS, running N threads, the result line. */
#ifndef APIG_BENCH_UTIL_H
#define APIG_BENCH_UTIL_H

#include <pthread.h>
#include <stdio.h>
#include <time.h>

static inline double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Peak RSS of this process image, from /proc (getrusage would count the parent's pages). */
static inline long vmhwm_kib(void) {
    char line[256];
    long kib = 0;
    FILE *f = fopen("/proc/self/status", "r");
    if (f == NULL) return 0;
    while (fgets(line, sizeof line, f) != NULL) {
        if (sscanf(line, "VmHWM: %ld kB", &kib) == 1) break;
    }
    fclose(f);
    return kib;
}

/* Runs work(arg) on n threads (inline when n is 1) and returns the elapsed seconds. */
static inline double run_threads(int n, void *(*work)(void *), void *arg) {
    pthread_t threads[64];
    int t;
    double start = now();
    if (n == 1) {
        work(arg);
    } else {
        for (t = 0; t < n && t < 64; t++) pthread_create(&threads[t], NULL, work, arg);
        for (t = 0; t < n && t < 64; t++) pthread_join(threads[t], NULL);
    }
    return now() - start;
}

static inline void print_result(double elapsed, long calls, int failures) {
    printf("{\"us_per_call\": %.3f, \"calls\": %ld, \"failures\": %d, \"vmhwm_kib\": %ld}\n",
           elapsed * 1e6 / (double)calls, calls, failures, vmhwm_kib());
}

#endif
