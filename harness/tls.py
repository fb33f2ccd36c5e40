"""The RSA key and self-signed certificate a run's token server uses.

As in the reference setup, one pair does three jobs: it is docker_auth's TLS identity,
it signs the tokens, and the certificate is the registry's ``rootcertbundle``.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from harness.redaction import redactor

CERTIFICATE_NAME = "server.pem"
KEY_NAME = "server.key"


@dataclass(frozen=True)
class ServerIdentity:
    certificate: Path
    key: Path


def write_server_identity(
    directory: Path, *, common_name: str = "localhost", valid_days: int = 2
) -> ServerIdentity:
    """Write ``server.pem`` and ``server.key`` (mode 0600) into ``directory``.

    The certificate names ``localhost`` and ``127.0.0.1``, the only addresses the
    harness uses to reach the token server.
    """
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    alternative_names = x509.SubjectAlternativeName(
        [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=valid_days))
        .add_extension(alternative_names, critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )

    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    redactor.add(key_pem.decode())

    key_path = directory / KEY_NAME
    # Created with 0600 from the start: no moment in which the key is readable by others.
    descriptor = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as key_file:
        key_file.write(key_pem)

    certificate_path = directory / CERTIFICATE_NAME
    certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return ServerIdentity(certificate=certificate_path, key=key_path)
