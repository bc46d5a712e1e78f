"""Authentication backends: Django's own for passwords and the admin's model permissions, except
that mujun's capability rules (`mujun.*`, django-rules, roles.py) are answered by the rules alone —
no model permission given in the admin can widen them, and checking them costs no query."""

from django.contrib.auth.backends import ModelBackend


class ModelPermissionBackend(ModelBackend):
    def has_perm(self, user_obj, perm, obj=None):
        if perm.startswith("mujun."):
            return False
        return super().has_perm(user_obj, perm, obj)
