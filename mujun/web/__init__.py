"""mujun.web — the Django application: storage of imported data and evaluation runs, roles and
per-object permissions, the pages, the audit trail. It calls mujun.engine; the engine never calls it.

Business logic lives in `services` (functions that change things) and `selectors` (functions that
read); views stay thin (the HackSoft Django Styleguide, style.md).
"""

import os


def setup(database_url: str | None = None, home: str | None = None) -> None:
    """Configure Django for the CLI (idempotent): settings module, home folder, database."""
    if home:
        os.environ["MUJUN_HOME"] = str(home)
    if database_url:
        os.environ["MUJUN_DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mujun.web.settings")
    import django

    django.setup()
