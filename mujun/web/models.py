"""What the web app stores: imported data versions (the canonical tables, immutable once
committed), methodology presets (versioned), evaluation runs and their results (immutable once
published), objections, and who each user is (role, division, enterprise).

The canonical tables of a data version are kept as Parquet blobs, one row per table, so the engine
gets its frames with one query per table (design.md). Results are rows, indexed for the pages.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Bureau administrator")
    ANALYST = "analyst", _("Bureau analyst")
    LAND = "land", _("Natural resources officer")
    STREET = "street", _("Street/town officer")
    ENTERPRISE = "enterprise", _("Enterprise")
    LEADER = "leader", _("Leader")
    DEPUTY = "deputy", _("People's Congress deputy")


class Profile(models.Model):
    """Who a user is for mujun: the role, and the division or enterprise it is limited to."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    division_code = models.CharField(_("division"), max_length=12, blank=True)
    uscc = models.CharField(_("enterprise USCC"), max_length=18, blank=True)

    class Meta:
        verbose_name = _("user profile")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(role="street") | ~models.Q(division_code=""),
                name="street_has_division",
            ),
            models.CheckConstraint(
                condition=~models.Q(role="enterprise") | ~models.Q(uscc=""),
                name="enterprise_has_uscc",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.role})"


class DataVersion(models.Model):
    """One version of the canonical dataset: staged after an import, then committed or discarded.
    A committed version never changes; a correction makes a new version from its parent."""

    class Status(models.TextChoices):
        STAGED = "staged", _("staged")
        COMMITTED = "committed", _("committed")
        DISCARDED = "discarded", _("discarded")

    class Kind(models.TextChoices):
        SYNTH = "synth", _("synthetic district")
        IMPORT = "import", _("import")
        CORRECTION = "correction", _("correction")

    kind = models.CharField(max_length=12, choices=Kind.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.STAGED)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT)
    fingerprint = models.CharField(max_length=64)
    note = models.TextField(blank=True)
    files = models.JSONField(default=list, blank=True)
    problems = models.JSONField(default=list, blank=True)
    report_xlsx = models.BinaryField(null=True, blank=True)
    enterprises = models.PositiveIntegerField(default=0)
    years = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    nonce = models.CharField(max_length=40, unique=True, null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"v{self.pk} {self.kind} {self.status} {self.fingerprint[:12]}"


class DataTable(models.Model):
    """One canonical table of a data version, as Parquet."""

    version = models.ForeignKey(DataVersion, on_delete=models.CASCADE, related_name="tables")
    name = models.CharField(max_length=32)
    rows = models.PositiveIntegerField()
    parquet = models.BinaryField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["version", "name"], name="one_table_each")]


class Preset(models.Model):
    """A methodology preset, versioned: editing makes a new version; a run names the one it used."""

    name = models.CharField(max_length=64)
    version = models.PositiveIntegerField()
    toml = models.TextField()
    methodology_hash = models.CharField(max_length=64)
    note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "-version"]
        constraints = [models.UniqueConstraint(fields=["name", "version"], name="preset_version")]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class Run(models.Model):
    """An evaluation run: (year, preset, data version). A preview until published; a published run
    never changes (a correction makes a new run, which supersedes it)."""

    class Status(models.TextChoices):
        PREVIEW = "preview", _("preview")
        PUBLISHED = "published", _("published")

    year = models.PositiveIntegerField()
    preset = models.ForeignKey(Preset, on_delete=models.PROTECT)
    data = models.ForeignKey(DataVersion, on_delete=models.PROTECT)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PREVIEW)
    input_hash = models.CharField(max_length=64)
    methodology_hash = models.CharField(max_length=64)
    summary = models.JSONField(default=dict)
    """Grade counts per list, district totals, benchmarks and cut scores (small, for the pages)."""
    published_xlsx = models.BinaryField(null=True, blank=True)
    supersedes = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    rescored_uscc = models.CharField(max_length=18, blank=True)
    """Set on a run made for an objection accepted during the 公示: only this firm was scored
    again (against the benchmarks of `rescored_from`); every other firm is as published there."""
    rescored_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    objection_deadline = models.DateField(null=True, blank=True)
    """The last day of the 公示 (the preset's working days after publication): objections are
    taken until then, and the list is final after it (逾期视为无异议)."""
    nonce = models.CharField(max_length=40, unique=True, null=True, blank=True)

    class Meta:
        ordering = ["-year", "-id"]
        indexes = [models.Index(fields=["status", "year"])]

    def __str__(self) -> str:
        return f"run {self.pk} ({self.year}, {self.preset}, {self.status})"


class Result(models.Model):
    """One enterprise's row of a run: the contract's columns, indicators and scores in `values`."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="results")
    uscc = models.CharField(max_length=18)
    name = models.CharField(max_length=200)
    year = models.PositiveIntegerField()
    group = models.CharField(max_length=8)
    list = models.CharField(max_length=16)
    division_code = models.CharField(max_length=12)
    industry_code = models.CharField(max_length=4)
    land_mu = models.FloatField(null=True)
    tax_paid = models.FloatField(null=True)
    adjusted_tax = models.FloatField(null=True)
    value_added = models.FloatField(null=True)
    tax_per_mu = models.FloatField(null=True)
    total_score = models.FloatField(null=True)
    grade = models.CharField(max_length=1, blank=True)
    status = models.CharField(max_length=12)
    reason = models.TextField(blank=True)
    rank = models.PositiveIntegerField(null=True)
    values = models.JSONField(default=dict)

    class Meta:
        indexes = [
            models.Index(fields=["uscc", "run"]),
            models.Index(fields=["run", "list", "rank"]),
            models.Index(fields=["run", "division_code"]),
        ]


class ParcelResult(models.Model):
    """One parcel's row of a run (地企双评), with its occupants' shares in `occupants`."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="parcel_results")
    parcel_id = models.CharField(max_length=40)
    owner_uscc = models.CharField(max_length=18)
    division_code = models.CharField(max_length=12)
    area_mu = models.FloatField()
    occupied_share = models.FloatField(null=True)
    vacant_share = models.FloatField(null=True)
    tax_per_mu = models.FloatField(null=True)
    value_added_per_mu = models.FloatField(null=True)
    grade = models.CharField(max_length=1, blank=True)
    occupants = models.JSONField(default=list)
    """[{uscc, name, land_mu, share}] from the run's land allocation."""

    class Meta:
        indexes = [
            models.Index(fields=["run", "parcel_id"]),
            models.Index(fields=["run", "owner_uscc"]),
        ]


class Enterprise(models.Model):
    """The directory of the current committed data: who is where (for search and permissions)."""

    uscc = models.CharField(max_length=18, primary_key=True)
    name = models.CharField(max_length=200, db_index=True)
    industry_code = models.CharField(max_length=4)
    division_code = models.CharField(max_length=12, db_index=True)
    zones = models.CharField(max_length=200, blank=True)
    qualifications = models.CharField(max_length=200, blank=True)


class Parcel(models.Model):
    """The parcels of the current committed data, with their polygons for the map."""

    parcel_id = models.CharField(max_length=40, primary_key=True)
    owner_uscc = models.CharField(max_length=18, db_index=True)
    division_code = models.CharField(max_length=12, db_index=True)
    area_m2 = models.FloatField()
    geometry = models.TextField(blank=True)


class Objection(models.Model):
    """异议: an enterprise objects to a figure of a run; the analyst accepts it (a correction that
    makes a new data version, recording who, when and why) or rejects it with a reason."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        ACCEPTED = "accepted", _("accepted")
        REJECTED = "rejected", _("rejected")

    uscc = models.CharField(max_length=18, db_index=True)
    run = models.ForeignKey(Run, on_delete=models.PROTECT)
    year = models.PositiveIntegerField()
    field = models.CharField(max_length=40)
    current_value = models.FloatField(null=True)
    proposed_value = models.FloatField(null=True)
    explanation = models.TextField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    resolution = models.TextField(blank=True)
    correction = models.ForeignKey(DataVersion, null=True, blank=True, on_delete=models.PROTECT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="objections"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    nonce = models.CharField(max_length=40, unique=True, null=True, blank=True)

    class Meta:
        ordering = ["-id"]


class LandShare(models.Model):
    """Who uses how much of which parcel in a run (the engine's land allocation), for profiles."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="land_shares")
    parcel_id = models.CharField(max_length=40)
    uscc = models.CharField(max_length=18)
    role = models.CharField(max_length=12)
    land_mu = models.FloatField()

    class Meta:
        indexes = [models.Index(fields=["uscc", "run"])]


class Task(models.Model):
    """A task under the People's Congress's supervision (seeded from mujun/scitech/tasks.toml)."""

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", _("not started")
        IN_PROGRESS = "in_progress", _("in progress")
        DONE = "done", _("done")
        BEHIND = "behind", _("behind")

    key = models.CharField(max_length=40, unique=True)
    area = models.CharField(max_length=32)
    title = models.TextField()
    unit = models.CharField(max_length=200)
    due = models.DateField()
    status = models.CharField(max_length=16, choices=Status.choices)
    indicators = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["due", "key"]


class TaskNote(models.Model):
    """A dated progress note on a task."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="notes")
    date = models.DateField()
    text = models.TextField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    nonce = models.CharField(max_length=40, unique=True, null=True, blank=True)

    class Meta:
        ordering = ["date", "id"]


class RunFigures(models.Model):
    """The district overview's figures of a published run (aggregates and movers), computed once:
    at 150,000 firms they take seconds. Derived from the run's results, never edited."""

    run = models.OneToOneField(Run, on_delete=models.CASCADE, related_name="figures")
    overview = models.JSONField()
    movers = models.JSONField()
    """{"previous": the run compared with (last year's in force then), "best": […], "worst": […]}"""
