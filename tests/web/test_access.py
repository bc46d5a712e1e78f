"""Every page as every role: the URL patterns are read from Django's resolver, so a page added
without a rule here fails `test_every_page_has_a_rule`. Parameters are real objects, in and out of
the user's scope: the street's own division's enterprise vs another division's, the enterprise
user's own firm, parcel and objection vs another's.

Outcomes: "ok" (200, or a redirect that is not to a login page), 403, 404, 405, or "login" (a
redirect to a login page).
"""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth import get_user_model
from django.urls import URLPattern, URLResolver, get_resolver

from mujun.web import services
from mujun.web.demo import STREET_DIVISION
from mujun.web.models import (
    DataVersion,
    Enterprise,
    Objection,
    Parcel,
    Profile,
    Result,
    Run,
)

pytestmark = pytest.mark.django_db

ROLES = ["admin", "analyst", "land", "street", "leader", "deputy", "enterprise"]
ALL = dict.fromkeys(ROLES, "ok")


def rule(default: str = "ok", **roles: str) -> dict[str, str]:
    table = dict.fromkeys(ROLES, default)
    table.update(roles)
    return table


BUREAU_ONLY = rule("403", admin="ok", analyst="ok")
NOT_ENTERPRISE = rule(enterprise="403")
# a firm (or parcel) in scope: the street's own division, the enterprise's own firm
OWN_FIRM = ALL
# a firm in another division, not the enterprise user's
OTHER_FIRM = rule(street="404", enterprise="404")

# route name (or an include's prefix) → {variant: {role: outcome}}; "" is the only variant of
# routes without scoped parameters
GET_RULES: dict[str, dict[str, dict[str, str]]] = {
    "home": {"": ALL},
    "overview": {"": NOT_ENTERPRISE},
    "enterprises": {"": NOT_ENTERPRISE},
    "profile": {"own": OWN_FIRM, "other": OTHER_FIRM},
    "explain": {"own": OWN_FIRM, "other": OTHER_FIRM},
    # POST only (tested below): a GET is refused as a method
    "file_objection": {"own": rule("405"), "other": rule("405")},
    "map": {"": NOT_ENTERPRISE},
    "map_data": {"": NOT_ENTERPRISE},
    "parcel": {"own": OWN_FIRM, "other": OTHER_FIRM},
    "data": {"": BUREAU_ONLY},
    "version": {"": BUREAU_ONLY},
    "version_report": {"": BUREAU_ONLY},
    "runs": {"": BUREAU_ONLY},
    "run": {"": BUREAU_ONLY},
    # each reader gets the list cut to what it may see (a street officer: its division's firms;
    # tests/web/test_tax_disclosure.py reads what is in it)
    "run_xlsx": {"": NOT_ENTERPRISE},
    # the summary holds aggregates only (of the street's division, for a street officer)
    "run_pdf": {"": NOT_ENTERPRISE},
    "objections": {"": rule("403", admin="ok", analyst="ok", enterprise="ok")},
    "objection": {
        "own": rule("403", admin="ok", analyst="ok", enterprise="ok"),
        "other": rule("403", admin="ok", analyst="ok", enterprise="404"),
    },
    "audit": {"": rule("403", admin="ok")},
    "presets": {"": BUREAU_ONLY},
    "preset_edit": {"": BUREAU_ONLY},
    "scitech": {"": NOT_ENTERPRISE},
    # the zone's report to the People's Congress spans divisions: not a street office's
    "scitech_report": {"": rule(street="403", enterprise="403")},
    "task": {"": NOT_ENTERPRISE},
    # the land pages: bureau, land and street officers
    "land": {"": rule(leader="403", deputy="403", enterprise="403")},
    "screen": {"": rule(leader="403", deputy="403", enterprise="403")},
    "login": {"": ALL},
    # POST only in Django 5 (tested by the login tests)
    "logout": {"": rule("405")},
    # every signed-in user changes their own password
    "password_change": {"": ALL},
    "password_change_done": {"": ALL},
    "i18n/": {"": ALL},
    # Django's admin: staff only, everyone else is sent to the admin's login
    "admin/": {"": rule("login", admin="ok")},
}
# pages anonymous visitors may open; every other page sends them to the login page
PUBLIC = {"login", "i18n/", "logout"}


# an included URLconf is visited at one of its pages
INCLUDED = {"i18n/": "i18n/setlang/"}


def routes() -> dict[str, str]:
    """{name or include prefix: route pattern} of every top-level URL pattern."""
    out = {}
    for p in get_resolver().url_patterns:
        if isinstance(p, URLResolver):
            out[str(p.pattern)] = INCLUDED.get(str(p.pattern), str(p.pattern))
        elif isinstance(p, URLPattern):
            out[p.name or str(p.pattern)] = str(p.pattern)
    return out


@pytest.fixture
def objects():
    """Real objects in and out of scope for the street and enterprise users."""
    User = get_user_model()
    me = Profile.objects.get(role="enterprise").uscc
    other = (
        Enterprise.objects.exclude(division_code=STREET_DIVISION)
        .filter(uscc__in=Parcel.objects.values("owner_uscc"))
        .order_by("uscc")
        .first()
        .uscc
    )
    assert Enterprise.objects.get(uscc=me).division_code == STREET_DIVISION
    own_parcel = Parcel.objects.filter(owner_uscc=me).order_by("parcel_id").first().parcel_id
    other_parcel = Parcel.objects.filter(owner_uscc=other).order_by("parcel_id").first()
    assert other_parcel.division_code != STREET_DIVISION
    run = services.published(2022)
    version = services.head()
    DataVersion.objects.filter(pk=version.pk).update(report_xlsx=b"PK-report")
    enterprise_user = User.objects.get(username="enterprise")
    own_objection = services.file_objection(
        run, me, "tax_paid", 1.0, "ours", enterprise_user, nonce="access-own"
    )
    other_objection = services.file_objection(
        run, other, "tax_paid", 1.0, "theirs", User.objects.get(username="admin"), nonce="access-o"
    )
    task = None
    try:
        from mujun.web.models import Task
        from mujun.web.scitech import seed_tasks

        seed_tasks()
        task = Task.objects.order_by("pk").first()
    except ImportError:
        pass
    return {
        "uscc": {"own": me, "other": other},
        "parcel_id": {"own": own_parcel, "other": other_parcel.parcel_id},
        "name": "zhenhai",
        "pk": {
            "version": version.pk,
            "version_report": version.pk,
            "run": run.pk,
            "run_xlsx": run.pk,
            "run_pdf": run.pk,
            "objection": {"own": own_objection.pk, "other": other_objection.pk},
            "task": task.pk if task else None,
        },
    }


def urls(objects) -> list[tuple[str, str, str]]:
    """(route name, variant, URL) for every route and parameter variant in GET_RULES."""
    out = []
    for name, pattern in routes().items():
        for variant in GET_RULES.get(name, {"": None}):
            url = "/" + pattern
            for param in ("uscc", "parcel_id", "pk", "name"):
                token_str, token_int = f"<str:{param}>", f"<int:{param}>"
                if f"<path:{param}>" in url:
                    url = url.replace(f"<path:{param}>", token_str)
                if token_str in url or token_int in url:
                    value = objects[param]
                    if param == "pk":
                        value = value[name]
                    if isinstance(value, dict):
                        value = value[variant]
                    url = url.replace(token_str, str(value)).replace(token_int, str(value))
            out.append((name, variant, url))
    return out


def outcome(response) -> str:
    code = response.status_code
    if code in (301, 302):
        return "login" if "login/" in response["Location"] else "ok"
    if code in (200, 204):
        return "ok"
    return str(code)


def test_every_page_has_a_rule():
    missing = set(routes()) - set(GET_RULES)
    assert not missing, f"pages without an access rule in test_access.GET_RULES: {sorted(missing)}"


@pytest.mark.parametrize("role", ROLES)
def test_every_page_as_every_role(role, login, objects):
    client = login(role)
    got, want = {}, {}
    for name, variant, url in urls(objects):
        if name not in GET_RULES:
            continue
        got[(name, variant, url)] = outcome(client.get(url))
        want[(name, variant, url)] = GET_RULES[name][variant][role]
    wrong = {k: (got[k], want[k]) for k in got if got[k] != want[k]}
    assert not wrong, f"{role}: (got, expected) {wrong}"


def test_anonymous_is_sent_to_login_everywhere(client, objects):
    for name, _variant, url in urls(objects):
        response = client.get(url)
        if name in PUBLIC:
            assert response.status_code in (200, 204, 302, 405), url
        else:
            assert response.status_code == 302, url
            assert "login/" in response["Location"], url


# ---------------------------------------------------------------- POSTs


def _state():
    return (
        DataVersion.objects.count(),
        list(DataVersion.objects.values_list("pk", "status")),
        list(Run.objects.values_list("pk", "status")),
        list(Objection.objects.values_list("pk", "status")),
        Result.objects.count(),
    )


@pytest.mark.parametrize("role", ["land", "street", "leader", "deputy", "enterprise"])
def test_only_the_bureau_may_post(role, login, objects):
    from mujun.web.models import Preset

    client = login(role)
    preview = services.create_run(
        2021, Preset.objects.get(name="zhenhai"), services.head(), nonce="post-preview"
    )
    staged = services.store_dataset(
        services.load_dataset(services.head()), DataVersion.Kind.IMPORT, nonce="post-staged"
    )
    own = objects["pk"]["objection"]["own"]
    before = _state()
    posts = [
        ("/data/", {"nonce": "x1"}),
        ("/runs/", {"year": 2021, "preset": preview.preset_id, "nonce": "x2"}),
        (f"/runs/{preview.pk}/", {"action": "publish"}),
        (f"/data/{staged.pk}/", {"action": "commit"}),
        (f"/data/{staged.pk}/", {"action": "discard"}),
        (f"/objections/{own}/", {"decision": "accept", "value": 5, "reason": "x"}),
        (f"/objections/{own}/", {"decision": "reject", "reason": "x"}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    assert _state() == before


@pytest.mark.parametrize(
    ("role", "variant", "expected"),
    [
        ("enterprise", "own", 302),
        ("enterprise", "other", 404),
        ("street", "own", 403),
        ("street", "other", 404),
        ("land", "own", 403),
        ("leader", "own", 403),
        ("deputy", "other", 403),
        ("analyst", "own", 403),
        ("admin", "own", 403),  # not even a superuser objects on a firm's behalf
    ],
)
def test_only_the_enterprise_files_its_objections(role, variant, expected, login, objects):
    uscc = objects["uscc"][variant]
    before = Objection.objects.count()
    response = login(role).post(
        f"/enterprises/{uscc}/object/",
        {
            "field": "tax_paid",
            "proposed_value": 3,
            "explanation": "why",
            "nonce": services.issue_token(get_user_model().objects.get(username=role), "objection"),
        },
    )
    assert response.status_code == expected
    assert Objection.objects.count() == before + (1 if expected == 302 else 0)


# ---------------------------------------------------------------- what each role sees


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


TAX_HEADERS = {"实缴税金（万元）", "调整后税收（万元）"}
TAX_ROWS = ("实缴税金（万元）", "调整后税收（万元）", "实缴税金与调整后税收")


@pytest.mark.parametrize("role", ["land", "leader", "deputy"])
def test_no_single_firm_tax_for_land_and_leaders(role, login, objects):
    client = login(role)
    header = _csv(client.get("/enterprises/?export=csv"))[0]
    assert not TAX_HEADERS & set(header)
    # land × 亩均税收 is the tax, and so is the total score less the other scores
    assert "亩均税收（万元/亩）" not in header and "综合得分" not in header
    assert "用地（亩）" in header and "等级" in header
    page = client.get(f"/enterprises/{objects['uscc']['own']}/").content.decode()
    for label in TAX_ROWS:
        assert label not in page
    assert "亩均税收" not in page  # the indicators not made from tax are shown


@pytest.mark.parametrize("role", ["admin", "analyst", "street", "enterprise"])
def test_tax_shown_to_those_who_may_see_it(role, login, objects):
    page = login(role).get(f"/enterprises/{objects['uscc']['own']}/").content.decode()
    for label in TAX_ROWS[:2]:
        assert label in page


def test_street_sees_only_its_division(login, objects):
    client = login("street")
    rows = _csv(client.get("/enterprises/?export=csv"))
    usccs = {r[0] for r in rows[1:]}
    run = services.published(2022)
    expected = set(
        Result.objects.filter(run=run, division_code=STREET_DIVISION).values_list("uscc", flat=True)
    )
    assert usccs == expected and expected
    assert set(rows[0]) >= TAX_HEADERS  # its own division's tax list
    page = client.get("/enterprises/").content.decode()
    assert objects["uscc"]["other"] not in page
    parcels = client.get("/map/data.json").json()["parcels"]
    assert parcels
    divisions = set(
        Parcel.objects.filter(parcel_id__in=[p["id"] for p in parcels]).values_list(
            "division_code", flat=True
        )
    )
    assert divisions == {STREET_DIVISION}


def test_enterprise_sees_only_its_own_objections(login, objects):
    page = login("enterprise").get("/objections/").content.decode()
    assert f"/objections/{objects['pk']['objection']['own']}/" in page
    assert f"/objections/{objects['pk']['objection']['other']}/" not in page
