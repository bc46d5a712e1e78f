"""The web tests' district: a small synthetic district loaded once per test database (every year
evaluated and published, the demo logins created); each test runs in a transaction rolled back after
it, so tests never see each other's changes."""

from __future__ import annotations

import pytest

from mujun.dataset import Dataset
from mujun.synth import synthesize

YEARS = [2020, 2021, 2022]
PASSWORD = "mujun-demo"


@pytest.fixture(scope="session")
def district() -> Dataset:
    return Dataset.from_frames(**synthesize(300, YEARS, 11))


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker, district):
    from mujun.web.demo import demo_users, load_demo

    with django_db_blocker.unblock():
        load_demo(district, YEARS)
        demo_users(district)


@pytest.fixture
def login(client):
    """login('street') → the test client logged in as that demo user."""
    from django.contrib.auth import get_user_model

    def as_user(username: str):
        client.force_login(get_user_model().objects.get(username=username))
        return client

    return as_user
