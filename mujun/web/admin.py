"""The Django admin, for the bureau administrator: users and their roles, presets."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from mujun.web.models import Preset, Profile


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False


class MujunUserAdmin(UserAdmin):
    inlines = [ProfileInline]
    list_display = ["username", "is_active", "is_staff", "profile__role", "profile__division_code"]

    @admin.display(description="role")
    def profile__role(self, user):
        return getattr(getattr(user, "profile", None), "role", "")

    @admin.display(description="division")
    def profile__division_code(self, user):
        return getattr(getattr(user, "profile", None), "division_code", "")


admin.site.unregister(get_user_model())
admin.site.register(get_user_model(), MujunUserAdmin)


@admin.register(Preset)
class PresetAdmin(admin.ModelAdmin):
    list_display = ["name", "version", "methodology_hash", "created_by", "created_at"]
    readonly_fields = ["methodology_hash", "created_by", "created_at"]

    def has_change_permission(self, request, obj=None):
        return False  # a preset version never changes; edit makes a new version
