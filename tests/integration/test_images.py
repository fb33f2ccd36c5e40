"""The local images keep upstream's layout, and the probe image is new every run."""

import pytest

from harness.errors import ImageUnavailable
from harness.images import (
    LOCAL_REGISTRY_IMAGE,
    REGISTRY_VERSIONS,
    build_probe_image,
    registry_config_path,
    require_image,
)


@pytest.mark.parametrize("version", REGISTRY_VERSIONS)
def test_local_registry_image_has_upstream_entrypoint_config_and_port(engine, version):
    image = engine.images.get(LOCAL_REGISTRY_IMAGE.format(version=version))
    config = image.attrs["Config"]
    assert config["Entrypoint"] == ["/bin/registry", "serve"]
    assert config["Cmd"] == [registry_config_path(version)]
    assert "5000/tcp" in config["ExposedPorts"]
    assert config["Labels"]["org.opencontainers.image.version"] == version


@pytest.mark.parametrize("version", REGISTRY_VERSIONS)
def test_local_registry_binary_reports_its_version(engine, version):
    container = engine.containers.create(
        LOCAL_REGISTRY_IMAGE.format(version=version),
        entrypoint=["/bin/registry"],
        command=["--version"],
    )
    try:
        container.start()
        container.wait(timeout=30)
        assert version in container.logs().decode()
    finally:
        container.remove(v=True)  # with the image's anonymous /var/lib/registry volume


def test_probe_images_of_two_runs_differ(engine, run_id):
    first = build_probe_image(engine, run_id + "a")
    second = build_probe_image(engine, run_id + "b")
    try:
        assert engine.images.get(first).id != engine.images.get(second).id
    finally:
        engine.images.remove(first, force=True)
        engine.images.remove(second, force=True)


def test_missing_image_that_cannot_be_pulled_names_setting_and_remedy(engine):
    with pytest.raises(ImageUnavailable) as caught:
        require_image(engine, "localhost:1/harness-absent/image:0", "docker_auth_image")
    message = str(caught.value)
    assert "localhost:1/harness-absent/image:0" in message
    assert "docker_auth_image" in message and "scripts/setup" in message
