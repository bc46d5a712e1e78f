"""The sci-tech zone (甬江科创区镇海片区, 甬江芯谷): the qualification pipeline, R&D, the published
targets and the People's Congress tasks, as pure functions over the canonical dataset.

- `pipeline`: who holds which qualification each year, what expires, who is up for renewal, who is a
  candidate for the next rung of the ladder, how fast firms climb it; R&D intensity.
- `targets`: the published targets (a validated TOML), their current value, progress and trend.
- `tasks`: the tasks under the People's Congress's supervision and those behind schedule.
"""
