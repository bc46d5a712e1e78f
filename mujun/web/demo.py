"""The demo district in the embedded database: the synthetic dataset as the committed data, every
year evaluated with the shipped preset and published, and one login per role."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.db import transaction

from mujun.dataset import Dataset
from mujun.web import services
from mujun.web.models import DataVersion, Profile, Role

PASSWORD = "mujun-demo"
STREET_DIVISION = "330211001"  # 招宝山街道


def demo_users(ds: Dataset) -> list[tuple[str, str, str]]:
    """Create the demo logins (username, role, what it sees); only `mujun demo` calls this."""
    User = get_user_model()
    firms = ds.enterprises.filter(ds.enterprises["division_code"] == STREET_DIVISION).sort("uscc")
    owners = set(ds.parcels["owner_uscc"].to_list())
    # the demo enterprise: one with its own land in 招宝山街道, so its profile has parcels
    pick = next((u for u in firms["uscc"] if u in owners), firms["uscc"][0])
    name = ds.enterprises.filter(ds.enterprises["uscc"] == pick)["name"][0]
    spec = [
        ("admin", Role.ADMIN, "", "", "经信局管理员 bureau administrator"),
        ("analyst", Role.ANALYST, "", "", "经信局分析员 bureau analyst"),
        ("land", Role.LAND, "", "", "自然资源局 natural resources"),
        ("street", Role.STREET, STREET_DIVISION, "", "招宝山街道 street officer"),
        ("leader", Role.LEADER, "", "", "领导 leader (read-only)"),
        ("deputy", Role.DEPUTY, "", "", "人大代表 People's Congress deputy (read-only)"),
        ("enterprise", Role.ENTERPRISE, "", pick, f"企业 {name} {pick}"),
    ]
    out = []
    with transaction.atomic():
        for username, role, division, uscc, label in spec:
            user = User.objects.create_user(
                username,
                password=PASSWORD,
                is_staff=role == Role.ADMIN,
                is_superuser=role == Role.ADMIN,
            )
            Profile.objects.create(user=user, role=role, division_code=division, uscc=uscc)
            out.append((username, str(role), label))
    return out


def load_demo(
    ds: Dataset,
    years: list[int],
    preset: str = "zhenhai",
    on_year: Callable[[int], None] | None = None,
) -> dict[int, int]:
    """Store, commit, evaluate and publish every year; returns {year: run id}."""
    version = services.store_dataset(
        ds, DataVersion.Kind.SYNTH, note="mujun demo: synthetic district"
    )
    version = services.commit_version(version)
    p = services.ensure_preset(preset)
    services.ensure_preset("huangyan-2022")
    runs = {}
    for year in years:
        run = services.create_run(year, p, version)
        services.publish_run(run)
        runs[year] = run.pk
        if on_year:
            on_year(year)
    return runs
