"""Acceptance harness for container registries behind a docker_auth token server.

Plain Python that knows nothing of pytest: the certificate and password hashes a run
needs, docker_auth's configuration, the permission matrix, the images and containers,
the clients that act as a user would, and how outcomes are judged. The pytest plugin
in ``fixtures/`` is built on these modules.
"""
