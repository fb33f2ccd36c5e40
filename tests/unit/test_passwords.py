import bcrypt

from harness.passwords import htpasswd_bcrypt, verify_htpasswd_bcrypt


def test_hash_has_htpasswd_2y_prefix_and_is_60_chars():
    hashed = htpasswd_bcrypt("correct horse")
    assert hashed.startswith("$2y$05$")
    assert len(hashed) == 60


def test_hash_verifies_with_bcrypt_library_after_swapping_to_2b():
    hashed = htpasswd_bcrypt("correct horse")
    as_2b = "$2b$" + hashed[len("$2y$") :]
    assert bcrypt.checkpw(b"correct horse", as_2b.encode())


def test_hash_verifies_with_verify_htpasswd_bcrypt():
    assert verify_htpasswd_bcrypt("correct horse", htpasswd_bcrypt("correct horse"))


def test_wrong_password_does_not_verify():
    hashed = htpasswd_bcrypt("correct horse")
    assert not verify_htpasswd_bcrypt("battery staple", hashed)


def test_two_hashes_of_same_password_differ_by_salt():
    first, second = htpasswd_bcrypt("same"), htpasswd_bcrypt("same")
    assert first != second
    assert verify_htpasswd_bcrypt("same", first)
    assert verify_htpasswd_bcrypt("same", second)
