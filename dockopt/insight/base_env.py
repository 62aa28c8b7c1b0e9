"""Variables a base image defines (its config's ``Env``), so ``undefined-var`` does not call them undefined.

The engine is asked when it answers and has the image; the names official images usually set (``USUAL``)
count too. Static lint stays usable without an engine: no answer is never an error here.
"""

from __future__ import annotations

import functools

from ..errors import DockoptError

# What every build defines, whatever the base: BuildKit's default PATH, the container's HOME and HOSTNAME.
ALWAYS = frozenset({"PATH", "HOME", "HOSTNAME"})

# Names the official images set in their config (docker-library's Dockerfiles), for bases the engine lacks.
USUAL = ALWAYS | frozenset({
    "LANG", "LC_ALL", "TERM", "SSL_CERT_FILE", "TZ",
    "NODE_VERSION", "YARN_VERSION", "NPM_CONFIG_LOGLEVEL",
    "PYTHON_VERSION", "PYTHON_SHA256", "PYTHON_PIP_VERSION", "PYTHON_GET_PIP_URL", "GPG_KEY",
    "JAVA_HOME", "JAVA_VERSION", "JDK_VERSION", "JRE_VERSION", "MAVEN_HOME", "MAVEN_CONFIG", "GRADLE_HOME",
    "GRADLE_VERSION",
    "GOPATH", "GOLANG_VERSION", "GOTOOLCHAIN", "GOROOT",
    "RUBY_VERSION", "RUBY_DOWNLOAD_SHA256", "GEM_HOME", "BUNDLE_SILENCE_ROOT_WARNING", "BUNDLE_APP_CONFIG",
    "PHP_VERSION", "PHP_INI_DIR", "PHPIZE_DEPS", "PHP_CFLAGS", "PHP_CPPFLAGS", "PHP_LDFLAGS",
    "RUSTUP_HOME", "CARGO_HOME", "RUST_VERSION",
    "DOTNET_VERSION", "ASPNET_VERSION", "ASPNETCORE_HTTP_PORTS", "DOTNET_RUNNING_IN_CONTAINER",
    "NGINX_VERSION", "NJS_VERSION", "PKG_RELEASE", "HTTPD_PREFIX", "HTTPD_VERSION",
    "PG_MAJOR", "PG_VERSION", "PGDATA", "REDIS_VERSION", "MONGO_VERSION",
})

_engine_answers = True


@functools.lru_cache(maxsize=256)
def _engine_env(ref: str) -> frozenset[str] | None:
    global _engine_answers
    if not _engine_answers:
        return None
    from .. import engine

    try:
        info = engine.find_image(ref)
    except DockoptError:  # no engine here: stop asking for the rest of this process
        _engine_answers = False
        return None
    if info is None:
        return None
    return frozenset(e.partition("=")[0] for e in info.env)


def defined_by_base(ref: str, *, ask_engine: bool = True) -> frozenset[str]:
    """Names the base image ``ref`` may define: its config's Env when the engine has it, and ``USUAL``
    (a local stand-in may lack what the real image sets; a name defined nowhere is still caught)."""
    if ref.lower() == "scratch":
        return ALWAYS
    found = _engine_env(ref) if ask_engine and ref and "$" not in ref else None
    return USUAL | (found or frozenset())
