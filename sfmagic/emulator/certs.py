"""The emulator's TLS certificates: a local CA and a server certificate it signs.

Each data directory gets its own CA, made once and kept (``ca.pem``,
``ca-key.pem``), and a server certificate for the loopback names (``server.pem``,
``server-key.pem``). Clients trust ``ca.pem``; restarting the emulator on the same
directory keeps the same CA, so a notebook or a browser that trusted it once keeps
trusting it. The server certificate is issued again only when it does not cover a
host the emulator is asked to serve, or when it is about to expire.

The CA key is kept next to the certificates so that a new server certificate can be
signed by the same CA. It is a local development CA: anyone who can read the data
directory can impersonate the emulator, and nothing else.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import trustme
from cryptography import x509

__all__ = ["LOOPBACK_NAMES", "CertificateFiles", "ensure_certificates"]

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")

CA_FILE = "ca.pem"
CA_KEY_FILE = "ca-key.pem"
SERVER_FILE = "server.pem"
SERVER_KEY_FILE = "server-key.pem"

# Issue a new server certificate when the current one ends within this window.
_RENEW_BEFORE = dt.timedelta(days=30)
_VALIDITY = dt.timedelta(days=3650)
_ORGANIZATION = "sfmagic emulator"


@dataclass(frozen=True)
class CertificateFiles:
    """Paths of the PEM files the server and its clients use."""

    ca_file: Path
    cert_file: Path
    key_file: Path


def ensure_certificates(
    directory: Path, hosts: Iterable[str] = LOOPBACK_NAMES
) -> CertificateFiles:
    """Make or reuse the CA and server certificate kept in ``directory``.

    Parameters
    ----------
    directory
        Where the PEM files live; created if missing.
    hosts
        Names and addresses the server certificate must cover, in addition to the
        loopback names. Wildcard addresses (``0.0.0.0``, ``::``) are skipped: a
        client never connects to them.

    Returns
    -------
    CertificateFiles
        The CA certificate clients trust, and the server's chain and key.
    """
    directory.mkdir(parents=True, exist_ok=True)
    files = CertificateFiles(
        ca_file=directory / CA_FILE,
        cert_file=directory / SERVER_FILE,
        key_file=directory / SERVER_KEY_FILE,
    )
    wanted = _wanted_names(hosts)

    ca = _load_ca(directory)
    if ca is None:
        ca = trustme.CA(
            organization_name=_ORGANIZATION,
            organization_unit_name="sfmagic local CA",
        )
        _write(files.ca_file, ca.cert_pem.bytes(), private=False)
        _write(directory / CA_KEY_FILE, ca.private_key_pem.bytes(), private=True)
    elif _leaf_is_usable(files, wanted):
        return files

    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    leaf = ca.issue_cert(
        *wanted,
        organization_name=_ORGANIZATION,
        not_before=now - dt.timedelta(days=1),
        not_after=now + _VALIDITY,
    )
    chain = b"".join(blob.bytes() for blob in leaf.cert_chain_pems)
    _write(files.key_file, leaf.private_key_pem.bytes(), private=True)
    _write(files.cert_file, chain, private=False)
    return files


def _wanted_names(hosts: Iterable[str]) -> list[str]:
    names = list(LOOPBACK_NAMES)
    for host in hosts:
        host = host.strip("[]")
        if host and host not in names and host not in ("0.0.0.0", "::"):
            names.append(host)
    return names


def _load_ca(directory: Path) -> trustme.CA | None:
    cert_path = directory / CA_FILE
    key_path = directory / CA_KEY_FILE
    if not (cert_path.is_file() and key_path.is_file()):
        return None
    try:
        return trustme.CA.from_pem(cert_path.read_bytes(), key_path.read_bytes())
    except ValueError:
        # A damaged CA file is replaced rather than trusted.
        return None


def _leaf_is_usable(files: CertificateFiles, wanted: list[str]) -> bool:
    if not (files.cert_file.is_file() and files.key_file.is_file()):
        return False
    try:
        leaf = x509.load_pem_x509_certificate(files.cert_file.read_bytes())
        san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except (ValueError, x509.ExtensionNotFound):
        return False
    covered = {name.lower() for name in san.value.get_values_for_type(x509.DNSName)}
    covered |= {
        str(address) for address in san.value.get_values_for_type(x509.IPAddress)
    }
    if not all(_normalise(name) in covered for name in wanted):
        return False
    expires = leaf.not_valid_after_utc
    return expires - dt.datetime.now(dt.UTC) > _RENEW_BEFORE


def _normalise(name: str) -> str:
    try:
        return str(ipaddress.ip_address(name))
    except ValueError:
        return name.lower()


def _write(path: Path, data: bytes, *, private: bool) -> None:
    # Write to a sibling file and rename, so a crash never leaves half a PEM file.
    temporary = path.with_name(path.name + ".tmp")
    mode = 0o600 if private else 0o644
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    os.replace(temporary, path)
