// The header compiles as C++ (extern "C" guards) and links.
#include "apig.h"

#include <cstdio>
#include <cstring>

int main() {
    int failed = 0;
    if (std::strcmp(apig_version(), APIG_VERSION_STRING) != 0) failed++;
    if (std::strcmp(apig_status_str(APIG_E_TIMEOUT), "APIG_E_TIMEOUT") != 0) failed++;
    apig_error *err = nullptr;
    if (apig_delete_certificate(nullptr, "p", "c", "t", &err) != APIG_E_INVALID_ARGUMENT) failed++;
    apig_error_free(err);
    std::printf("test_cpp: %d passed, %d failed\n", 3 - failed, failed);
    return failed == 0 ? 0 : 1;
}
