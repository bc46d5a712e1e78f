"""The Django admin, for the bureau administrator: users and their roles; presets to look at.

Users are never deleted, only deactivated: the audit trail names its actors by foreign key, and a
deleted user would vanish from every entry they made (mujun.web.audit refuses the delete for any
code path). Presets change only through the validated service (`/presets/`, services.save_preset):
the admin's own form would store unvalidated, unhashed TOML as the latest version."""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from mujun.web.models import Preset, Profile


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False


class MujunUserAdmin(UserAdmin):
    inlines = [ProfileInline]
    list_display = ["username", "is_active", "is_staff", "profile__role", "profile__division_code"]
    actions = ["deactivate"]

    @admin.display(description="role")
    def profile__role(self, user):
        return getattr(getattr(user, "profile", None), "role", "")

    @admin.display(description="division")
    def profile__division_code(self, user):
        return getattr(getattr(user, "profile", None), "division_code", "")

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: the audit trail keeps naming them

    @admin.action(description=_("Deactivate the selected users"), permissions=["change"])
    def deactivate(self, request, queryset):
        users = [u for u in queryset.filter(is_active=True) if u.pk != request.user.pk]
        for user in users:  # one save each: the audit trail logs every change
            user.is_active = False
            user.save(update_fields=["is_active"])
        self.message_user(
            request,
            ngettext("%d user deactivated.", "%d users deactivated.", len(users)) % len(users),
            messages.SUCCESS,
        )


admin.site.unregister(get_user_model())
admin.site.register(get_user_model(), MujunUserAdmin)


@admin.register(Preset)
class PresetAdmin(admin.ModelAdmin):
    """Read-only: a new version is made (validated, hashed) on /presets/."""

    list_display = ["name", "version", "methodology_hash", "created_by", "created_at"]
    readonly_fields = ["methodology_hash", "created_by", "created_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # a preset version never changes; edit makes a new version

    def has_delete_permission(self, request, obj=None):
        return False  # runs name the version they used
