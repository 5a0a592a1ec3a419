// The header compiles as C++ (extern "C" guards) and links.
#include "apig.h"

#include <cstdio>
#include <cstring>

int main() {
    int checks = 0, failed = 0;
#define CPP_CHECK(cond) (checks++, (cond) ? (void)0 : (void)(failed++, std::printf("FAIL: %s\n", #cond)))
    CPP_CHECK(std::strcmp(apig_version(), APIG_VERSION_STRING) == 0);
    CPP_CHECK(std::strcmp(apig_status_str(APIG_E_TIMEOUT), "APIG_E_TIMEOUT") == 0);
    apig_error *err = nullptr;
    CPP_CHECK(apig_delete_certificate(nullptr, "p", "c", "t", &err) == APIG_E_INVALID_ARGUMENT);
    apig_error_free(err);
    // The listings, the flags of the delete (or'ed, as C++ callers write them) and the getters.
    apig_certificate_list *certificates = nullptr;
    CPP_CHECK(apig_client_list_certificates(nullptr, nullptr, nullptr, nullptr, nullptr, &certificates, nullptr) ==
              APIG_E_INVALID_ARGUMENT);
    CPP_CHECK(apig_certificate_id(apig_certificate_list_get(certificates, 0)) == nullptr);
    CPP_CHECK(apig_certificate_not_after(nullptr) == 0 && !apig_certificate_expired(nullptr));
    apig_certificate_list_free(certificates);
    apig_domain_list *domains = nullptr;
    CPP_CHECK(apig_client_certificate_domains(nullptr, nullptr, "c", &domains, nullptr) == APIG_E_INVALID_ARGUMENT);
    CPP_CHECK(apig_bound_domain_domain(apig_domain_list_get(domains, 0)) == nullptr);
    apig_domain_list_free(domains);
    apig_outcome outcome = APIG_OUTCOME_DELETED;
    apig_delete_flags flags = APIG_DELETE_MISSING_OK | APIG_DELETE_DETACH_DOMAINS;
    CPP_CHECK(apig_client_delete_certificate_with(nullptr, nullptr, "c", flags, &outcome, nullptr, &err) ==
              APIG_E_INVALID_ARGUMENT);
    CPP_CHECK(outcome == APIG_OUTCOME_NONE && apig_error_domain_count(err) == 0 && apig_error_domain(err, 0) == nullptr);
    apig_error_free(err);
    std::printf("test_cpp: %d passed, %d failed\n", checks - failed, failed);
    return failed == 0 ? 0 : 1;
}
