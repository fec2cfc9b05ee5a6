"""JAX's persistent compilation cache under polyframe's cache directory, on by default.

A second process that compiles the same step (the same model, shapes, jaxlib and flags) loads
the executable from disk instead of compiling it again. JAX keys entries by the program, the
jaxlib version, the backend and the compile options, so a stale entry is never used. Left alone
when the user configured a cache directory already (``JAX_COMPILATION_CACHE_DIR`` or
``jax.config``) or set ``POLYFRAME_COMPILE_CACHE=0``.
"""

from __future__ import annotations

from polyframe.cache_dir import cache_dir, compile_cache_enabled


def enable_compile_cache() -> str | None:
    """Point JAX's persistent cache at ``<polyframe cache>/jax`` and cache every compilation
    (JAX's default skips those under 1 s: a small model's whole first step). Returns the
    directory in use, or None when the cache is off."""
    import jax

    current = jax.config.jax_compilation_cache_dir
    if current:
        return str(current)
    if not compile_cache_enabled():
        return None
    path = cache_dir("jax")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None  # a read-only home: run without the cache rather than fail
    jax.config.update("jax_compilation_cache_dir", str(path))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    return str(path)
