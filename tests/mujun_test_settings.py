"""Settings for the test suite: a throwaway home folder, a fixed key, fast password hashing, and
PostgreSQL when MUJUN_TEST_DATABASE_URL names a server (SQLite otherwise)."""

import os
import tempfile

os.environ.setdefault("MUJUN_SECRET_KEY", "tests-only-not-a-secret-" + "k" * 40)
os.environ.setdefault("MUJUN_HOME", tempfile.mkdtemp(prefix="mujun-test-home-"))
if url := os.environ.get("MUJUN_TEST_DATABASE_URL"):
    os.environ["MUJUN_DATABASE_URL"] = url

from mujun.web.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
