import ipaddress
import stat

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from harness.tls import CERTIFICATE_NAME, KEY_NAME, write_server_identity


def _load(tmp_path):
    identity = write_server_identity(tmp_path)
    certificate = x509.load_pem_x509_certificate(identity.certificate.read_bytes())
    key = serialization.load_pem_private_key(identity.key.read_bytes(), password=None)
    return identity, certificate, key


def test_certificate_and_key_files_are_written(tmp_path):
    identity = write_server_identity(tmp_path)
    assert identity.certificate == tmp_path / CERTIFICATE_NAME
    assert identity.key == tmp_path / KEY_NAME
    assert identity.certificate.read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
    assert b"PRIVATE KEY-----" in identity.key.read_bytes()


def test_key_file_is_private(tmp_path):
    identity = write_server_identity(tmp_path)
    assert stat.S_IMODE(identity.key.stat().st_mode) == 0o600


def test_certificate_names_localhost_and_loopback_ip(tmp_path):
    _, certificate, _ = _load(tmp_path)
    names = certificate.extensions.get_extension_for_class(
        x509.SubjectAlternativeName
    ).value
    assert "localhost" in names.get_values_for_type(x509.DNSName)
    addresses = names.get_values_for_type(x509.IPAddress)
    assert ipaddress.ip_address("127.0.0.1") in addresses


def test_key_matches_certificate_public_key(tmp_path):
    _, certificate, key = _load(tmp_path)
    assert (
        certificate.public_key().public_numbers() == key.public_key().public_numbers()
    )


def test_certificate_is_self_signed(tmp_path):
    _, certificate, _ = _load(tmp_path)
    assert certificate.issuer == certificate.subject
    certificate.verify_directly_issued_by(certificate)
