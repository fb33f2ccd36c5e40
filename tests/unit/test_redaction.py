from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from harness.redaction import MASK, Redactor


def test_registered_secret_is_masked():
    redactor = Redactor()
    redactor.add("hunter2")
    assert redactor.redact("login with hunter2 failed") == f"login with {MASK} failed"


def test_longer_secret_is_masked_whole_before_its_prefix():
    redactor = Redactor()
    redactor.add("password", "password01")
    assert redactor.redact("pw=password01;") == f"pw={MASK};"


def test_unregistered_pem_private_key_block_is_masked():
    # Made here rather than written out: no private key, even a fake one, is committed.
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    text = f"key:\n{pem.strip()}\nend"
    redacted = Redactor().redact(text)
    assert redacted == f"key:\n{MASK}\nend"


def test_bcrypt_hash_shape_is_masked():
    hashed = "$2y$05$" + "a" * 22 + "B" * 31
    assert Redactor().redact(f"password: {hashed}") == f"password: {MASK}"


def test_jwt_shaped_string_is_masked():
    jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJl"
    redacted = Redactor().redact(f"token {jwt} issued")
    assert jwt not in redacted
    assert redacted == f"token {MASK} issued"


def test_authorization_bearer_value_is_masked():
    redacted = Redactor().redact("Authorization: Bearer xyz")
    assert redacted == f"Authorization: Bearer {MASK}"


def test_empty_string_registration_is_ignored():
    redactor = Redactor()
    redactor.add("", "s3cret")
    assert redactor.redact("plain text") == "plain text"
    assert redactor.redact("a s3cret b") == f"a {MASK} b"


def test_secret_is_masked_where_it_stands_alone_but_not_inside_a_word():
    redactor = Redactor()
    redactor.add("password")
    assert redactor.redact("http://admin:password@host") == f"http://admin:{MASK}@host"
    assert redactor.redact('{"password": "password"}') == f'{{"{MASK}": "{MASK}"}}'
    assert redactor.redact("docker login --password-stdin") == (
        "docker login --password-stdin"
    )
