"""The emulator plays the calls around the delete (issue 21's ground): the project's gateways, the
certificate listing (its mandatory instance_id, pages of at most 500, global certificates in every
gateway's listing), a certificate's bound domains and the batch detach with its APIG.2000. The
official SDK's own calls (AK/SK-signed: the query and the body are under the signature) are the
check that the wire format is APIG's."""

import pytest

from pyapig.testing import DEFAULT_AK, DEFAULT_SK

from conftest import PROJECT, official_sdk


@pytest.fixture
def sdk(emu, monkeypatch, tmp_path):
    return official_sdk(monkeypatch, tmp_path, lambda c: c.BasicCredentials(DEFAULT_AK, DEFAULT_SK, PROJECT),
                        lambda b: b.with_endpoints([emu.url]))


def seed(emu):
    emu.add_gateway("gw-a")
    emu.add_gateway("gw-b")
    emu.add_certificate("g1", name="shared", common_name="*.example.com", not_after="2024-01-01T00:00:00Z")
    emu.add_certificate("a1", instance_id="gw-a", name="alpha", common_name="a.example.com",
                        san=["a.example.com", "www.a.example.com"], not_after="2031-05-06T07:08:09.5+08:00",
                        algorithm_type="ECC", signature_algorithm="SHA256-ECDSA",
                        bindings=[{"domain": "a.example.com", "group_id": "g-a", "group_name": "shop"},
                                  {"domain": "a.example.com", "instance_id": "gw-b"},
                                  {"domain": "b.example.com"}])
    emu.add_certificate("b1", instance_id="gw-b", name="beta")


def test_the_official_sdk_lists_gateways_and_certificates(emu, sdk):
    apig_v2, client = sdk
    seed(emu)
    gateways = client.list_instances_v2(apig_v2.ListInstancesV2Request(limit=500))
    assert [g.id for g in gateways.instances] == ["gw-a", "gw-b"] and gateways.total == 2
    listing = client.list_certificates_v2(apig_v2.ListCertificatesV2Request(instance_id="gw-a", limit=500))
    by_id = {c.id: c for c in listing.certs}
    assert sorted(by_id) == ["a1", "g1"], "the gateway's own and the global ones"
    a1 = by_id["a1"]
    assert (a1.type, a1.instance_id, a1.name, a1.common_name, a1.san) == (
        "instance", "gw-a", "alpha", "a.example.com", ["a.example.com", "www.a.example.com"])
    assert str(a1.not_after).startswith("2031-05-06") and a1.algorithm_type == "ECC"
    assert (by_id["g1"].type, by_id["g1"].instance_id) == ("global", "common")
    # Filters pass through; the listing's instance_id is mandatory; an unknown gateway is 404.
    named = client.list_certificates_v2(apig_v2.ListCertificatesV2Request(instance_id="gw-b", name="beta"))
    assert [c.id for c in named.certs] == ["b1"]
    from huaweicloudsdkcore.exceptions import exceptions
    with pytest.raises(exceptions.ClientRequestException) as info:
        client.list_certificates_v2(apig_v2.ListCertificatesV2Request())
    assert (info.value.status_code, info.value.error_code) == (400, "APIG.2001")
    with pytest.raises(exceptions.ClientRequestException) as info:
        client.list_certificates_v2(apig_v2.ListCertificatesV2Request(instance_id="gw-nope"))
    assert (info.value.status_code, info.value.error_code) == (404, "APIG.3030")
    assert {r["auth"] for r in emu.requests()} == {"aksk"}


def test_pages_are_at_most_500_and_cover_everything(emu, sdk):
    apig_v2, client = sdk
    emu.add_gateway("gw-a")
    for i in range(1203):
        emu.add_certificate(f"c{i:04d}", instance_id="gw-a" if i % 2 else None)
    seen = []
    offset = 0
    while True:
        page = client.list_certificates_v2(
            apig_v2.ListCertificatesV2Request(instance_id="gw-a", offset=offset, limit=500))
        seen += [c.id for c in page.certs]
        assert page.total == 1203 and page.size == len(page.certs) <= 500
        if len(page.certs) < 500:
            break
        offset += 500
    assert seen == [f"c{i:04d}" for i in range(1203)]
    from huaweicloudsdkcore.exceptions import exceptions
    with pytest.raises(exceptions.ClientRequestException) as info:
        client.list_certificates_v2(apig_v2.ListCertificatesV2Request(instance_id="gw-a", limit=501))
    assert (info.value.status_code, info.value.error_code) == (400, "APIG.2012")


def test_bound_domains_and_the_batch_detach(emu, sdk):
    apig_v2, client = sdk
    seed(emu)
    bound = client.list_attached_domains_v2(apig_v2.ListAttachedDomainsV2Request(certificate_id="a1", limit=2))
    assert bound.total == 3 and [d.url_domain for d in bound.bound_domains] == ["a.example.com"] * 2
    first = bound.bound_domains[0]
    assert (first.instance_id, first.api_group_id, first.api_group_name) == ("gw-a", "g-a", "shop")
    # Bound: the delete is refused.
    from huaweicloudsdkcore.exceptions import exceptions
    with pytest.raises(exceptions.ClientRequestException) as info:
        client.delete_certificate_v2(apig_v2.DeleteCertificateV2Request(certificate_id="a1"))
    assert info.value.status_code == 403
    # Detach a.example.com from gw-b only, then everything that is left.
    info_cls = apig_v2.AttachOrDetachDomainInfo
    body = apig_v2.AttachOrDetachDomainsReqBody(domains=[info_cls(domain="a.example.com", instance_ids=["gw-b"])])
    client.batch_disassociate_domains_v2(apig_v2.BatchDisassociateDomainsV2Request(certificate_id="a1", body=body))
    assert [(b["domain"], b["instance_id"]) for b in emu.bindings("a1")] == [
        ("a.example.com", "gw-a"), ("b.example.com", "gw-a")]
    body = apig_v2.AttachOrDetachDomainsReqBody(
        domains=[info_cls(domain="a.example.com"), info_cls(domain="b.example.com")])
    client.batch_disassociate_domains_v2(apig_v2.BatchDisassociateDomainsV2Request(certificate_id="a1", body=body))
    assert emu.bindings("a1") == []
    # Nothing of it bound any more: APIG.2000. Then the delete goes through.
    with pytest.raises(exceptions.ClientRequestException) as info:
        client.batch_disassociate_domains_v2(
            apig_v2.BatchDisassociateDomainsV2Request(certificate_id="a1", body=body))
    assert (info.value.status_code, info.value.error_code) == (400, "APIG.2000")
    client.delete_certificate_v2(apig_v2.DeleteCertificateV2Request(certificate_id="a1"))
    detaches = [r for r in emu.requests() if r["path"].endswith("/domains/detach")]
    assert [r["outcome"] for r in detaches] == ["detached", "detached", "nothing_bound"]
    assert {r["auth"] for r in detaches} == {"aksk"}, "the signature covered the body"
