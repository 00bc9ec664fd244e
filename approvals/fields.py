"""The one table of a PAI model version's fields (docs/architecture.md, "The field table").

Each row says PAI's name, the ModelVersion attribute that mirrors it, its kind,
the label people read, whether UpdateModelVersion takes it and whether the
dashboard's forms and API may edit it. Everything else derives from this table:
the model's update list, the wire layer's checks and the emulator's, the sync's
mapping, the edit form and the PATCH body, the diffs, the version page's
sections and the listings' deferred columns.

Plain Python with no Django imports, so the wire layer and the emulator use it too.
Labels are English here; pages translate them where they show them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


def gettext_noop(message: str) -> str:
    """Marks a label for the translation catalogue (makemessages knows the name); translated where shown."""
    return message


class Kind(StrEnum):
    TEXT = "text"  # a string
    ENUM = "enum"  # a string out of PAI's documented values (new ones are kept as they come)
    OBJECT = "object"  # a JSON object
    JSON_TEXT = "json_text"  # JSON held in a string (Options)
    LIST = "list"  # a JSON array (Labels)
    TIME = "time"  # ISO 8601 in UTC


APPROVAL_STATUSES = ("Pending", "Approved", "Rejected")
SOURCE_TYPES = ("Custom", "PAIFlow", "TrainingService")
FORMAT_TYPES = (
    "OfflineModel",
    "SavedModel",
    "Keras H5",
    "Frozen Pb",
    "Caffe Prototxt",
    "TorchScript",
    "XGBoost",
    "PMML",
    "AlinkModel",
    "ONNX",
)
FRAMEWORK_TYPES = ("Pytorch", "XGBoost", "Keras", "Caffe", "Alink", "Xflow", "TensorFlow")
# How pages spell PAI's enum values where PAI's own spelling is not the product's name; the
# stored and sent value stays PAI's. One place for tables, filters and forms alike.
VALUE_LABELS = {"Pytorch": "PyTorch", "Xflow": "XFlow"}


def value_label(value: str) -> str:
    """PAI's enum value as pages spell it ("Pytorch" → "PyTorch"); other values as they are."""
    return VALUE_LABELS.get(value, value)


@dataclass(frozen=True)
class VersionField:
    name: str  # PAI's
    attr: str  # ModelVersion's
    kind: Kind
    label: str
    updatable: bool = False  # UpdateModelVersion takes it
    editable: bool = False  # the edit form and the API's PATCH may change it
    choices: tuple[str, ...] = ()  # ENUM: PAI's documented values
    content: bool = True  # what an approval covers: a change of it dismisses approvals of earlier revisions

    @property
    def empty(self) -> object:
        """The value the dashboard stores when PAI leaves the field out."""
        return {Kind.OBJECT: {}, Kind.LIST: []}.get(self.kind, None if self.kind == Kind.TIME else "")

    @property
    def is_spec(self) -> bool:
        """A JSON object a reviewer reads beside the metrics (TrainingSpec … ExtraInfo)."""
        return self.kind == Kind.OBJECT and self.name != "Metrics"


_ = gettext_noop
# In PAI's order (the order of UpdateModelVersion's documentation and the console).
VERSION_FIELDS: tuple[VersionField, ...] = (
    VersionField("VersionDescription", "version_description", Kind.TEXT, _("Version description"), True, True),
    VersionField(
        "ApprovalStatus",
        "approval_status",
        Kind.ENUM,
        _("Approval status"),
        True,
        choices=APPROVAL_STATUSES,
        content=False,
    ),
    VersionField("Metrics", "metrics", Kind.OBJECT, _("Metrics"), True, True),
    VersionField("TrainingSpec", "training_spec", Kind.OBJECT, _("Training spec"), True, True),
    VersionField("InferenceSpec", "inference_spec", Kind.OBJECT, _("Inference spec"), True, True),
    VersionField("EvaluationSpec", "evaluation_spec", Kind.OBJECT, _("Evaluation spec"), True, True),
    VersionField("CompressionSpec", "compression_spec", Kind.OBJECT, _("Compression spec"), True, True),
    VersionField("DistillationSpec", "distillation_spec", Kind.OBJECT, _("Distillation spec"), True, True),
    VersionField("ExtraInfo", "extra_info", Kind.OBJECT, _("Extra info"), True, True),
    VersionField("Options", "options", Kind.JSON_TEXT, _("Options"), True, True),
    VersionField("SourceType", "source_type", Kind.ENUM, _("Source type"), True, True, choices=SOURCE_TYPES),
    VersionField("SourceId", "source_id", Kind.TEXT, _("Source ID"), True, True),
    VersionField("Uri", "uri", Kind.TEXT, _("Uri")),
    VersionField("FormatType", "format_type", Kind.ENUM, _("Format type"), choices=FORMAT_TYPES),
    VersionField("FrameworkType", "framework_type", Kind.ENUM, _("Framework type"), choices=FRAMEWORK_TYPES),
    # Not in UpdateModelVersion: pushed with DeleteModelVersionLabels then CreateModelVersionLabels.
    VersionField("Labels", "labels", Kind.LIST, _("Labels"), editable=True),
    VersionField("OwnerId", "owner_id", Kind.TEXT, _("Owner"), content=False),
    VersionField("UserId", "user_id", Kind.TEXT, _("Creator"), content=False),
    VersionField("GmtCreateTime", "gmt_create_time", Kind.TIME, _("Created"), content=False),
)
del _

BY_NAME: dict[str, VersionField] = {f.name: f for f in VERSION_FIELDS}
# UpdateModelVersion's body may hold any subset of these.
UPDATABLE: tuple[VersionField, ...] = tuple(f for f in VERSION_FIELDS if f.updatable)
UPDATABLE_NAMES: tuple[str, ...] = tuple(f.name for f in UPDATABLE)
EDITABLE: tuple[VersionField, ...] = tuple(f for f in VERSION_FIELDS if f.editable)
EDITABLE_NAMES: tuple[str, ...] = tuple(f.name for f in EDITABLE)
# {PAI name: ModelVersion attribute} of what UpdateModelVersion takes.
UPDATABLE_ATTRS: dict[str, str] = {f.name: f.attr for f in UPDATABLE}
# {PAI name: attribute} of everything the dashboard writes to PAI: UpdateModelVersion's fields and Labels.
WRITABLE_ATTRS: dict[str, str] = {f.name: f.attr for f in VERSION_FIELDS if f.updatable or f.editable}
# Written to PAI by their own calls, not in UpdateModelVersion's body.
SEPARATELY_PUSHED: tuple[str, ...] = tuple(f.name for f in VERSION_FIELDS if f.editable and not f.updatable)
# What an approval covers: the decision is sent only while PAI holds exactly these as approved.
CONTENT_NAMES: tuple[str, ...] = tuple(f.name for f in VERSION_FIELDS if f.content)
ATTRS: dict[str, str] = {f.name: f.attr for f in VERSION_FIELDS}
OBJECT_NAMES: tuple[str, ...] = tuple(f.name for f in VERSION_FIELDS if f.kind == Kind.OBJECT)
SPECS: tuple[VersionField, ...] = tuple(f for f in VERSION_FIELDS if f.is_spec)
# The large JSON columns: listings never load them.
JSON_ATTRS: tuple[str, ...] = tuple(
    f.attr for f in VERSION_FIELDS if f.kind in (Kind.OBJECT, Kind.JSON_TEXT, Kind.LIST)
)


def label_of(name: str) -> str:
    """The English label of PAI's field `name` (the name itself for a field the table does not know)."""
    field = BY_NAME.get(name)
    return field.label if field is not None else name
