from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    name = "mujun.web"
    label = "web"
    verbose_name = _("mujun per-mu evaluation")

    def ready(self) -> None:
        from mujun.web import audit  # noqa: F401  (registers the audited models)
