"""Starting and stopping orgs: TLS, ports, data directories, demo data."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from cryptography import x509

from sfmagic.emulator import start
from sfmagic.emulator.certs import ensure_certificates
from sfmagic.emulator.org import RunningOrg
from sfmagic.emulator.server import bind_socket, url_host

pytestmark = pytest.mark.live

COUNT_ACCOUNTS = "SELECT COUNT() FROM Account"


def _get(org: RunningOrg, path: str, **params: str) -> requests.Response:
    http = org.session()
    http.headers["Authorization"] = f"Bearer {org.access_token()}"
    url = f"{org.instance_url}/services/data/v59.0/{path}"
    return http.get(url, params=params, timeout=30)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serves_https_on_loopback_with_its_own_ca(org: RunningOrg) -> None:
    assert org.instance_url == f"https://127.0.0.1:{org.port}"
    assert org.ca_file.is_file()
    untrusting = requests.Session()
    untrusting.trust_env = False
    with pytest.raises(requests.exceptions.SSLError):
        untrusting.get(org.instance_url + "/services/data/", timeout=30)
    assert org.session().get(org.instance_url + "/services/data/").ok


def test_session_ignores_a_ca_bundle_from_the_environment(
    org: RunningOrg, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    other = ensure_certificates(tmp_path / "other").ca_file
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(other))
    monkeypatch.setenv("CURL_CA_BUNDLE", str(other))
    assert org.session().get(org.instance_url + "/services/data/", timeout=30).ok


def test_access_tokens_are_fresh_and_valid(org: RunningOrg) -> None:
    first, second = org.access_token(), org.access_token()
    assert first != second
    assert first.startswith(org.org_id[:15] + "!")
    assert org.state.identity.validate_access_token(second).user_id == (
        org.state.admin.user_id
    )


def test_running_org_exposes_the_demo_credentials(org: RunningOrg) -> None:
    assert org.username == "admin@sfmagic.demo"
    assert org.password
    assert org.security_token
    assert org.client_id
    assert org.client_secret
    assert org.redirect_uri == "http://localhost:1717/OauthRedirect"
    assert org.org_id.startswith("00D")
    shown = repr(org)
    for secret in (org.password, org.security_token, org.client_secret):
        assert secret not in shown


def test_stop_closes_the_port_and_removes_the_temporary_directory() -> None:
    org = start()
    port, directory = org.port, org.ca_file.parent
    assert _get(org, "limits/").ok
    org.stop()
    org.stop()
    assert not directory.exists()
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0


def test_a_given_port_is_used() -> None:
    port = _free_port()
    with start(port=port) as org:
        assert org.instance_url == f"https://127.0.0.1:{port}"
        assert _get(org, "limits/").ok


def test_a_port_in_use_is_refused() -> None:
    with start() as org, pytest.raises(OSError, match="in use"):
        start(port=org.port)


def test_the_listening_socket_is_loopback_without_nagle() -> None:
    sock = bind_socket("127.0.0.1", 0)
    try:
        assert sock.getsockname()[0] == "127.0.0.1"
        # Small answers would otherwise wait ~40 ms for the client's delayed ACK.
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    finally:
        sock.close()


@pytest.mark.parametrize(
    ("host", "shown"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("::1", "[::1]"),
        ("0.0.0.0", "127.0.0.1"),
        ("localhost", "localhost"),
    ],
)
def test_url_host(host: str, shown: str) -> None:
    assert url_host(host) == shown


def test_ipv6_loopback() -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")
    try:
        bind_socket("::1", 0).close()
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    with start(host="::1") as org:
        assert org.instance_url.startswith("https://[::1]:")
        assert _get(org, "limits/").ok


def test_a_data_directory_keeps_records_certificates_and_credentials(
    tmp_path: Path,
) -> None:
    with start(data=tmp_path) as first:
        created = first.session().post(
            f"{first.instance_url}/services/data/v59.0/sobjects/Account/",
            json={"Name": "Survivor"},
            headers={"Authorization": f"Bearer {first.access_token()}"},
            timeout=30,
        )
        record_id = created.json()["id"]
        credentials = (first.username, first.password, first.security_token)
        app = (first.client_id, first.client_secret, first.org_id)
        ca = first.ca_file.read_bytes()
        used = int(
            _get(first, "limits/").headers["Sforce-Limit-Info"][10:].split("/")[0]
        )

    names = {path.name for path in tmp_path.iterdir()}
    assert {"org.sqlite", "ca.pem", "server.pem", "server-key.pem"} <= names
    assert oct((tmp_path / "server-key.pem").stat().st_mode & 0o777) == "0o600"

    with start(data=tmp_path) as second:
        assert second.ca_file.read_bytes() == ca
        assert (second.username, second.password, second.security_token) == (
            credentials
        )
        assert (second.client_id, second.client_secret, second.org_id) == app
        assert _get(second, f"sobjects/Account/{record_id}").json()["Name"] == (
            "Survivor"
        )
        header = _get(second, "limits/").headers["Sforce-Limit-Info"]
        assert header == f"api-usage={used + 2}/15000"


def test_certificates_are_reused_and_reissued_for_a_new_host(tmp_path: Path) -> None:
    first = ensure_certificates(tmp_path)
    ca, leaf = first.ca_file.read_bytes(), first.cert_file.read_bytes()
    again = ensure_certificates(tmp_path)
    assert again.cert_file.read_bytes() == leaf

    wider = ensure_certificates(tmp_path, hosts=["192.0.2.10"])
    assert wider.ca_file.read_bytes() == ca
    assert wider.cert_file.read_bytes() != leaf
    certificate = x509.load_pem_x509_certificate(wider.cert_file.read_bytes())
    san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    addresses = {str(a) for a in san.value.get_values_for_type(x509.IPAddress)}
    assert {"127.0.0.1", "::1", "192.0.2.10"} <= addresses
    assert "localhost" in san.value.get_values_for_type(x509.DNSName)


def test_damaged_certificate_files_are_replaced(tmp_path: Path) -> None:
    files = ensure_certificates(tmp_path)
    files.cert_file.write_text("not a certificate")
    repaired = ensure_certificates(tmp_path)
    x509.load_pem_x509_certificate(repaired.cert_file.read_bytes())


def test_demo_data_is_seeded_once(tmp_path: Path) -> None:
    with start(demo=True, data=tmp_path) as org:
        count = _get(org, "query/", q=COUNT_ACCOUNTS).json()["totalSize"]
        assert count > 0
    with start(demo=True, data=tmp_path) as org:
        assert _get(org, "query/", q=COUNT_ACCOUNTS).json()["totalSize"] == count


def test_scale_seeds_that_many_accounts() -> None:
    with start(scale=25) as org:
        assert _get(org, "query/", q=COUNT_ACCOUNTS).json()["totalSize"] == 25


def test_a_custom_schema_file_adds_objects(tmp_path: Path) -> None:
    schema_file = tmp_path / "schema.toml"
    schema_file.write_text(
        '[objects.Invoice__c]\nlabel = "Invoice"\nplural_label = "Invoices"\n',
        encoding="utf-8",
    )
    with start(schema_file=schema_file) as org:
        assert _get(org, "sobjects/Invoice__c/describe").json()["custom"] is True


def test_importing_the_emulator_package_is_light() -> None:
    code = (
        "import sys, sfmagic.emulator; "
        "print(sorted(m for m in ('starlette', 'uvicorn', 'lark', 'sqlite3') "
        "if m in sys.modules))"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert output.stdout.strip() == "[]"
