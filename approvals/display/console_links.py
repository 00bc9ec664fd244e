"""Links into PAI's console: the version's page, and the training job or pipeline run its
SourceId names (display/source_id.py). The console is PAI's, so these are its URL patterns as
documented in the README; `console` (settings.PAI_CONSOLE_URL) is the only part that varies."""

from __future__ import annotations

from urllib.parse import quote

# Fragments of the console's single-page app, by what they show.
VERSION_PAGE = "{console}/?regionId={region}&workspaceId={workspace}#/modelManage/models/{model}/versions/{version}"
JOB_PAGE = "{console}/?regionId={region}&workspaceId={workspace}#/dlc/jobs/{id}"
PIPELINE_RUN_PAGE = "{console}/?regionId={region}&workspaceId={workspace}#/pipeline/runs/{id}"
# SourceId kinds (pai/fields.py SOURCE_ID_RE) and the page each one has.
SOURCE_PAGES = {"ServiceJob": JOB_PAGE, "PipelineRun": PIPELINE_RUN_PAGE}


def _q(value: str) -> str:
    return quote(value or "", safe="")


def version_console_url(console: str, *, region: str, workspace: str, model_id: str, version_name: str) -> str:
    """The version's page in PAI's console ("" without a region or workspace to address)."""
    if not (console and region and workspace):
        return ""
    return VERSION_PAGE.format(
        console=console.rstrip("/"),
        region=_q(region),
        workspace=_q(workspace),
        model=_q(model_id),
        version=_q(version_name),
    )


def source_console_url(console: str, source: dict[str, str] | None) -> str:
    """The console page of the job or pipeline run a parsed SourceId names, or ""."""
    if not console or not source or source.get("kind") not in SOURCE_PAGES:
        return ""
    return SOURCE_PAGES[source["kind"]].format(
        console=console.rstrip("/"),
        region=_q(source["region"]),
        workspace=_q(source["workspace"]),
        id=_q(source["id"]),
    )
