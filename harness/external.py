"""External mode: the matrix against a registry that is already running.

Nothing is started. The registry is given as a URL; its token realm comes from its own
challenge. Images are pushed only into the repositories the matrix names, and at the
end every manifest the run pushed is deleted again wherever the matrix says some user
may delete; what cannot be removed is reported.

Limitation: pushes and pulls go through the local Docker Engine, which must itself
trust the registry (a ``localhost`` registry over HTTP needs nothing; any other needs
the Engine's ``insecure-registries`` or ``/etc/docker/certs.d``).
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from harness.clients import RegistryClient
from harness.errors import SettingError
from harness.matrix import Action, Matrix, Outcome
from harness.registry_api import RegistryAPI, RegistryUnreachable
from harness.stack import StackEndpoints


@dataclass(frozen=True)
class ExternalRegistry:
    url: str
    registry: str  # host:port
    tls: bool
    verify: bool | str

    @classmethod
    def from_settings(
        cls, url: str, *, ca_bundle: str | None, insecure: bool
    ) -> ExternalRegistry:
        parsed = urllib.parse.urlsplit(url)
        if (
            parsed.scheme not in {"http", "https"}
            or not parsed.netloc
            or parsed.path not in {"", "/"}
        ):
            raise SettingError(
                f"Setting registry has the value {url!r}: give the registry's URL with "
                "its scheme and no path, such as https://registry.example.com or "
                "http://localhost:5000."
            )
        if ca_bundle and not Path(ca_bundle).is_file():
            raise SettingError(
                f"Setting registry_ca names {ca_bundle!r}, which is not a file: give the "
                "CA bundle (PEM) that signed the registry's and its realm's certificates."
            )
        verify: bool | str = False if insecure else (ca_bundle or True)
        return cls(url.rstrip("/"), parsed.netloc, parsed.scheme == "https", verify)

    def endpoints(self) -> StackEndpoints:
        """Where the registry sends clients for tokens, from its challenge."""
        api = RegistryAPI(self.registry, registry_tls=self.tls, verify=self.verify)
        try:
            challenge = api.challenge()
            # The realm must answer over trusted TLS too: 200 or 401 both prove it.
            api.request_token(None, None)
        except (RegistryUnreachable, ValueError) as error:
            raise SettingError(
                f"The registry {self.url} (setting registry) cannot be used: {error}. "
                "Check the address, and registry_ca or registry_insecure for its TLS."
            ) from error
        return StackEndpoints(
            registry=self.registry,
            realm=challenge.realm,
            service=challenge.service,
            certificate=None,
            tls=self.tls,
            verify=self.verify,
            external=True,
        )


def remove_pushed_manifests(client: RegistryClient, matrix: Matrix) -> list[str]:
    """Delete what the run pushed, as a user the matrix lets delete; say what is left."""
    notes = []
    for repository, digests in sorted(client.pushed.items()):
        deleter = next(
            (
                matrix.user(cell.user)
                for cell in matrix.cells
                if cell.action is Action.DELETE
                and cell.repository == repository
                and cell.expected.outcome is Outcome.OK
            ),
            None,
        )
        if deleter is None:
            notes.append(
                f"left {len(digests)} test manifest(s) in {repository}: no cell of the "
                "matrix expects a delete there to succeed, so the harness deletes nothing"
            )
            continue
        for digest in sorted(digests):
            deleted = client.delete(deleter, repository, digest)
            if deleted.outcome is not Outcome.OK and "404" not in deleted.message:
                notes.append(
                    f"could not delete {repository}@{digest} as {deleter.name}: "
                    f"{deleted.message}"
                )
    return notes
