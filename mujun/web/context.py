"""Template context: the user's role and capabilities, for the navigation (the server checks again)."""

from mujun.web.roles import role_of


def role(request) -> dict:
    user = request.user
    r = role_of(user)
    caps = {}
    if r:
        for name in (
            "view_overview",
            "list_enterprises",
            "view_map",
            "manage_data",
            "manage_runs",
            "handle_objections",
            "edit_presets",
            "view_audit",
            "view_scitech",
            "view_land",
        ):
            caps[name] = user.has_perm(f"mujun.{name}")
    return {"role": r, "can": caps, "profile": getattr(user, "profile", None) if r else None}
