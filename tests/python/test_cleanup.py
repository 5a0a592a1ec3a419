"""The clean-up job from Python, against the emulator: the listing over every gateway, times,
bound domains, a refused delete that says what is bound, detach-then-delete, AsyncClient."""

import asyncio
import pickle
from datetime import datetime, timezone

import pytest

import pyapig
from pyapig.testing import DEFAULT_TOKEN

from conftest import PROJECT


def seed_listing(emu):
    """Two gateways (600 and 500 certificates of their own) and 103 global ones: 1,203."""
    expected = set()
    for prefix, gateway, count in (("a", "gw-a", 600), ("b", "gw-b", 500), ("g", None, 103)):
        for i in range(count):
            cert = f"{prefix}{i:04d}"
            listing = {"instance_id": gateway} if gateway else {}
            emu.add_certificate(cert, not_after="2030-01-01T00:00:00Z", **listing)
            expected.add(cert)
    return expected


def query(request):
    return dict(pair.split("=", 1) for pair in request["query"].split("&") if pair)


def test_the_listing_covers_every_gateway_and_the_globals_once(emu, client):
    expected = seed_listing(emu)
    listed = client.list_certificates()
    assert len(listed) == 1203
    assert {c.id for c in listed} == expected
    requests = emu.requests()
    assert [r["path"].rsplit("/", 1)[1] for r in requests] == ["instances"] + ["certificates"] * 4
    for r in requests[1:]:
        q = query(r)
        assert q["instance_id"] in ("gw-a", "gw-b"), "every listing names its gateway"
        assert 1 <= int(q["limit"]) <= 500
    glob = next(c for c in listed if c.id == "g0000")
    assert (glob.type, glob.instance_id) == ("global", None)
    own = next(c for c in listed if c.id == "a0000")
    assert (own.type, own.instance_id) == ("instance", "gw-a")


@pytest.mark.parametrize("written", [
    "2031-05-06T07:08:09Z",
    "2031-05-06T07:08:09.304004Z",
    "2031-05-06T15:08:09+08:00",
    "2031-05-06T02:08:09.5-05:00",
])
def test_times_in_every_rfc3339_form_are_aware_utc(emu, client, written):
    emu.add_certificate("c1", instance_id="gw-a", not_after=written)
    (cert,) = client.list_certificates()
    assert cert.not_after == datetime(2031, 5, 6, 7, 8, 9, tzinfo=timezone.utc)
    assert cert.not_after.tzinfo is not None and cert.not_after.utcoffset().total_seconds() == 0
    assert cert.not_after_timestamp == int(cert.not_after.timestamp())
    assert cert.expired is False


def test_a_certificate_says_everything_the_listing_said(emu, client):
    emu.add_certificate("c1", instance_id="gw-a", name="alpha", common_name="a.example.com",
                        san=["a.example.com", "www.a.example.com"], not_after="2020-01-01T00:00:00Z",
                        signature_algorithm="SHA256-ECDSA", algorithm_type="ECC")
    (c,) = client.list_certificates()
    assert (c.id, c.name, c.common_name, c.san, c.type, c.instance_id) == (
        "c1", "alpha", "a.example.com", ("a.example.com", "www.a.example.com"), "instance", "gw-a")
    assert (c.signature_algorithm, c.algorithm_type, c.expired) == ("SHA256-ECDSA", "ECC", True)
    assert repr(c).startswith('pyapig.Certificate(id="c1", name="alpha"') and "expired" in repr(c)
    with pytest.raises(AttributeError):
        c.name = "other"  # immutable
    assert c == client.list_certificates()[0]


def test_filters_pass_through_and_are_checked_before_any_io(emu, client):
    emu.add_certificate("www-old", instance_id="gw-a")
    emu.add_certificate("api", instance_id="gw-a")
    emu.add_certificate("www-b", instance_id="gw-b")
    assert [c.id for c in client.list_certificates(instance_id="gw-a", name="www")] == ["www-old"]
    assert query(emu.requests()[-1])["name"] == "www"
    emu.clear_requests()
    with pytest.raises(pyapig.InvalidArgumentError, match="instance_id"):
        client.list_certificates(instance_id="../gw")
    with pytest.raises(TypeError, match="list_certificates\\(\\) argument 'name' must be str or None, not int"):
        client.list_certificates(name=5)
    assert emu.requests() == []


def test_a_project_without_gateways_lists_nothing(emu, client):
    assert client.list_certificates() == []
    assert client._gateways() == []


def test_listing_gets_are_retried(emu, client):
    emu.add_certificate("c1", instance_id="gw-a")
    emu.add_rule(path=f"/v2/{PROJECT}/apigw/certificates", times=1, status=503)
    emu.add_rule(path=f"/v2/{PROJECT}/apigw/instances", times=1, status=429, headers={"Retry-After": "0"})
    assert [c.id for c in client.list_certificates()] == ["c1"]
    assert [r["status"] for r in emu.requests()] == [429, 200, 503, 200]


def test_bound_domains_are_paged_and_folded(emu, client):
    bindings = [{"domain": f"d{i:03d}.example.com", "instance_id": "gw-a"} for i in range(600)]
    bindings += [{"domain": "d000.example.com", "instance_id": "gw-a"}, {"domain": "d000.example.com", "instance_id": "gw-b"}]
    emu.add_certificate("c1", bindings=bindings)
    domains = client.certificate_domains("c1")
    assert len(domains) == 601
    assert [(d.domain, d.instance_id) for d in domains if d.domain == "d000.example.com"] == [
        ("d000.example.com", "gw-a"), ("d000.example.com", "gw-b")]
    assert isinstance(domains[0], pyapig.BoundDomain) and domains[0].group_name
    assert len(emu.requests()) == 2


def test_a_bound_delete_says_what_it_is_bound_to_and_detaches_nothing(emu, client):
    emu.add_certificate("c1", bound_to=["www.example.com", "api.example.com"])
    with pytest.raises(pyapig.CertificateInUseError) as info:
        client.delete_certificate("c1")
    e = info.value
    assert isinstance(e, pyapig.PermissionDeniedError) and e.code == 17 and e.status_code == 403
    assert e.domains == ("www.example.com", "api.example.com")
    assert "www.example.com, api.example.com" in str(e) and "detach_domains" in str(e)
    assert "domains=('www.example.com', 'api.example.com')" in repr(e)
    again = pickle.loads(pickle.dumps(e))
    assert (type(again), again.domains, again.status_code) == (pyapig.CertificateInUseError, e.domains, 403)
    assert [r["method"] for r in emu.requests()] == ["DELETE", "GET"], "no detach"
    assert len(emu.bindings("c1")) == 2


def test_detach_then_delete_sends_the_batch_detach(emu, client):
    emu.add_certificate("c1", bindings=[{"domain": "www.example.com", "instance_id": "gw-a"},
                                        {"domain": "www.example.com", "instance_id": "gw-b"},
                                        {"domain": "api.example.com", "instance_id": "gw-a"}])
    assert client.delete_certificate("c1", detach_domains=True) is True
    requests = emu.requests()
    assert [(r["method"], r["path"].split("/c1")[-1]) for r in requests] == [
        ("GET", "/attached-domains"), ("POST", "/domains/detach"), ("DELETE", "")]
    import json
    assert json.loads(requests[1]["body"]) == {"domains": [
        {"domain": "www.example.com", "instance_ids": ["gw-a", "gw-b"]},
        {"domain": "api.example.com", "instance_ids": ["gw-a"]}]}
    assert emu.certificates() == []
    # Nothing bound: no detach at all; absent with missing_ok: False, nothing written.
    emu.add_certificate("c2")
    emu.clear_requests()
    assert client.delete_certificate("c2", detach_domains=True) is True
    assert client.delete_certificate("c2", detach_domains=True, missing_ok=True) is False
    assert [r["method"] for r in emu.requests()] == ["GET", "DELETE", "GET", "DELETE"]


def test_nothing_left_to_detach_is_done(emu, client):
    emu.add_certificate("c1")
    stale = {"total": 1, "size": 1, "bound_domains": [{"url_domain": "gone.example.com", "id": "d",
                                                       "instance_id": "gw-a"}]}
    import json
    emu.add_rule(path=f"/v2/{PROJECT}/apigw/certificates/c1/attached-domains", times=1, status=200,
                 body=json.dumps(stale))
    assert client.delete_certificate("c1", detach_domains=True) is True
    # APIG.2000 is also APIG's generic parameter error: the bindings are asked for again first.
    assert [(r["method"], r["status"]) for r in emu.requests()] == [
        ("GET", 200), ("POST", 400), ("GET", 200), ("DELETE", 204)]


def test_a_permission_refusal_is_left_as_it_was(emu, client):
    emu.add_certificate("free")
    emu.add_certificate("bound", bound_to=["www.example.com"])
    refusal = '{"error_code": "APIG.1005", "error_msg": "No permissions to request this method"}'
    emu.add_rule(path=f"/v2/{PROJECT}/apigw/certificates/free", times=1, status=403, body=refusal)
    with pytest.raises(pyapig.PermissionDeniedError) as info:
        client.delete_certificate("free")
    assert type(info.value) is pyapig.PermissionDeniedError and info.value.error_code == "APIG.1005"
    assert str(info.value).startswith("HTTP 403: APIG.1005")
    # The look-up is refused too: the delete's own refusal stands.
    emu.add_rule(path=f"/v2/{PROJECT}/apigw/certificates/bound/attached-domains", status=403, body=refusal)
    with pytest.raises(pyapig.PermissionDeniedError) as info:
        client.delete_certificate("bound")
    assert type(info.value) is pyapig.PermissionDeniedError and info.value.error_code != "APIG.1005"
    assert sorted(emu.certificates()) == ["bound", "free"]


def test_async_client_has_the_calls(emu):
    emu.add_certificate("c1", instance_id="gw-a", bound_to=["www.example.com"])

    async def main():
        async with pyapig.AsyncClient(emu.url, PROJECT, token=DEFAULT_TOKEN) as client:
            listed = await client.list_certificates()
            domains = await client.certificate_domains("c1")
            with pytest.raises(pyapig.CertificateInUseError):
                await client.delete_certificate("c1")
            deleted = await client.delete_certificate("c1", detach_domains=True)
            return listed, domains, deleted

    listed, domains, deleted = asyncio.run(main())
    assert [c.id for c in listed] == ["c1"]
    assert [d.domain for d in domains] == ["www.example.com"]
    assert deleted is True and emu.certificates() == []
