"""mujun."""
