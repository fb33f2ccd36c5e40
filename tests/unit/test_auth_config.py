import pytest
import yaml

from harness.auth_config import TokenSettings, render_auth_config
from harness.passwords import verify_htpasswd_bcrypt

PASSWORDS = {"admin": "Clear-Text-Alpha-91", "user01": "Clear-Text-Bravo-37"}
ACL = [
    {"match": {"account": "admin"}, "actions": ["*"]},
    {"match": {"account": "user01"}, "actions": ["pull"]},
    {"match": {"account": "user02"}, "actions": [""]},
]


def _render(token=None):
    return render_auth_config(
        PASSWORDS,
        ACL,
        token or TokenSettings(),
        certificate_name="server.pem",
        key_name="server.key",
    )


def test_server_listens_on_5001_with_key_pair_under_ssl():
    server = yaml.safe_load(_render())["server"]
    assert server == {
        "addr": ":5001",
        "certificate": "/ssl/server.pem",
        "key": "/ssl/server.key",
    }


def test_token_has_issuer_and_expiration_defaults():
    token = yaml.safe_load(_render())["token"]
    assert token["issuer"] == "Auth Service"
    assert token["expiration"] == 900


@pytest.mark.parametrize("thumbprint", [True, False])
def test_disable_legacy_key_id_follows_thumbprint_key_id(thumbprint):
    rendered = _render(TokenSettings(thumbprint_key_id=thumbprint))
    assert yaml.safe_load(rendered)["token"]["disable_legacy_key_id"] is thumbprint


def test_users_hold_bcrypt_hashes_of_their_passwords():
    users = yaml.safe_load(_render())["users"]
    assert list(users) == list(PASSWORDS)
    for name, password in PASSWORDS.items():
        hashed = users[name]["password"]
        assert hashed.startswith("$2y$")
        assert verify_htpasswd_bcrypt(password, hashed)


def test_clear_passwords_do_not_occur_in_rendered_text():
    rendered = _render()
    for password in PASSWORDS.values():
        assert password not in rendered


def test_acl_is_passed_through_unchanged_in_order():
    assert yaml.safe_load(_render())["acl"] == ACL
