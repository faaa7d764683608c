"""Pipeline jobs on the double: steps become child runs that run in dependency order on the double's clock.

What the recordings show (pipeline_job/…): the PUT answers ``NotStarted``; the job is then ``Running`` while its
steps run and ends ``Completed`` or ``Failed``; run history lists the steps as the pipeline's children
(``GET …/runs/{pipeline}/children``), each a ``azureml.StepRun`` with its own run id (a uuid), the step name as
``displayName`` and ``properties["azureml.nodeid"]``. With the service's default ``continue_on_step_failure``
(recorded ``azureml.continue_on_step_failure: True``) the steps that do not depend on a failed one still run;
those that do never start and are canceled when the pipeline ends.
"""

from __future__ import annotations

import copy
import json
import re
import uuid
from typing import TYPE_CHECKING, Any

from tests.azureml_double import components
from tests.azureml_double.jobs import JobRecord, phases

if TYPE_CHECKING:
    from tests.azureml_double.server import AzureMLDouble

_STEP_OUTPUT_REF = re.compile(r"\$\{\{\s*parent\.jobs\.(?P<step>[\w-]+)\.outputs\.(?P<output>[\w-]+)\s*\}\}")
_PARENT_OUTPUT_REF = re.compile(r"^\$\{\{\s*parent\.outputs\.(?P<output>[\w-]+)\s*\}\}$")

# A step's run properties and run-type traits, as recorded (test_pipeline_job_child_run_download).
STEP_PROPERTIES = {
    "azureml.DevPlatv2": "true",
    "azureml.DatasetAccessMode": "Asset",
    "StepType": "PythonScriptStep",
    "ComputeTargetType": "AmlCompute",
    "azureml.moduleFamilyId": "0",
    "azureml.runsource": "azureml.StepRun",
    "azureml.pipelineComponent": "masterescloud",
    "_azureml.ComputeTargetType": "amlctrain",
    "ProcessInfoFile": "azureml-logs/process_info.json",
    "ProcessStatusFile": "azureml-logs/process_status.json",
}
STEP_TRAITS = ("azureml.StepRun", "scriptRun", "remote", "AlmostCommonRuntime", "OsType:Linux", "CommonRuntime")
PIPELINE_PROPERTIES = {
    "azureml.DevPlatv2": "true",
    "azureml.DatasetAccessMode": "Asset",
    "azureml.runsource": "azureml.PipelineRun",
    "runSource": "MFE",
    "runType": "HTTP",
    "azureml.parameters": "{}",
    "azureml.continue_on_step_failure": "True",
    "azureml.continue_on_failed_optional_input": "True",
    "azureml.enforceRerun": "False",
    "azureml.defaultDataStoreName": "workspaceblobstore",
    "azureml.pipelineComponent": "pipelinerun",
}


def step_dependencies(step: dict[str, Any]) -> list[str]:
    """The steps whose outputs ``step``'s inputs bind (``${{parent.jobs.<step>.outputs.<name>}}``)."""
    found = []
    for binding in (step.get("inputs") or {}).values():
        value = binding.get("value") if isinstance(binding, dict) else binding
        for match in _STEP_OUTPUT_REF.finditer(str(value or "")):
            if match["step"] not in found:
                found.append(match["step"])
    return found


def step_compute(pipeline_props: dict[str, Any], step: dict[str, Any]) -> str | None:
    default = (pipeline_props.get("settings") or {}).get("default_compute")
    return step.get("computeId") or pipeline_props.get("computeId") or default


def spawn_steps(double: AzureMLDouble, job: JobRecord) -> None:
    """One child run per step, as the service creates them when the pipeline starts (and its run properties)."""
    props = job.resource["properties"]
    compute = props.get("computeId") or (props.get("settings") or {}).get("default_compute")
    default_compute = {"azureml.defaultComputeName": compute.rsplit("/", 1)[-1]} if compute else {}
    props["properties"] = {**PIPELINE_PROPERTIES, **default_compute, **(props.get("properties") or {})}
    for step_name, step in (props.get("jobs") or {}).items():
        child = _step_record(double, job, step_name, step)
        double.jobs[child.name] = child
        job.children.append(child.name)


def _step_record(double: AzureMLDouble, job: JobRecord, step_name: str, step: dict[str, Any]) -> JobRecord:
    props = job.resource["properties"]
    spec = double.component_spec(step.get("componentId")) or {}
    run_id = str(uuid.uuid4())
    node_id = uuid.uuid5(uuid.NAMESPACE_OID, f"{job.name}/{step_name}").hex[:8]
    outputs = components.spec_outputs(spec)
    for output_name, output in (step.get("outputs") or {}).items():
        if isinstance(output, dict) and output.get("type") != "literal" and output_name in outputs:
            outputs[output_name].update({k: v for k, v in output.items() if k in ("mode", "uri")})
    resource = {
        "id": double._id("jobs", run_id),
        "name": run_id,
        "type": "Microsoft.MachineLearningServices/workspaces/jobs",
        "properties": {
            "jobType": "Command",
            "displayName": step_name,
            "experimentName": props.get("experimentName"),
            "command": spec.get("command"),
            "codeId": components.arm_reference(spec.get("code")),
            "environmentId": components.arm_reference(spec.get("environment")),
            "computeId": step_compute(props, step),
            "inputs": copy.deepcopy(step.get("inputs") or {}),
            "outputs": outputs,
            "properties": {
                **STEP_PROPERTIES,
                "azureml.nodeid": node_id,
                "azureml.pipelinerunid": job.name,
                "azureml.pipeline": job.name,
                "azureml.rootpipelinerunid": job.name,
                "azureml.moduleid": (step.get("componentId") or "").rsplit("/", 1)[-1],
                "azureml.moduleName": spec.get("name"),
                "azureml.moduleVersion": spec.get("version"),
                "_azureml.ClusterName": (step_compute(props, step) or "").rsplit("/", 1)[-1] or None,
            },
            "tags": {"azureml.nodeid": node_id, "azureml.pipeline": job.name},
            "isArchived": False,
        },
        "systemData": double._system_data(),
    }
    child = JobRecord(
        name=run_id,
        resource=resource,
        script=job.script.for_step(step_name),
        status="NotStarted",
        parent=job.name,
        step=step_name,
        depends_on=step_dependencies(step),
    )
    double._fill_outputs(child)
    return child


def step_run(double: AzureMLDouble, step: JobRecord) -> dict[str, Any]:
    """What run history says of a step's run beyond any run's members (recorded: test_pipeline_job_child_run_download)."""
    props = step.resource["properties"]
    compute_status = {"AllocationState": "steady", "PreparingNodeCount": 0, "RunningNodeCount": 0, "CurrentNodeCount": 1}
    return {
        "name": props["properties"].get("azureml.moduleName"),
        "runTypeV2": {"orchestrator": "Execution", "traits": list(STEP_TRAITS), "attribution": "Aether", "computeType": "AmlcTrain"},
        "tags": {**(props.get("tags") or {}), "_aml_system_ComputeTargetStatus": json.dumps(compute_status)},
    }


def steps(double: AzureMLDouble, job: JobRecord) -> dict[str, JobRecord]:
    return {double.jobs[c].step or c: double.jobs[c] for c in job.children}


def tick(double: AzureMLDouble, job: JobRecord) -> None:
    """One tick of a running pipeline: every step whose inputs are ready advances; the pipeline ends with its steps."""
    by_step = steps(double, job)
    for step in by_step.values():
        if step.idle:
            continue
        upstream = [by_step[d] for d in step.depends_on if d in by_step]
        if all(u.status == "Completed" for u in upstream):
            if step.status == "NotStarted":
                double._set_status(step, phases("command")[0])
            else:
                double._tick_job(step)
    if any(not s.idle and not _is_blocked(s, by_step) for s in by_step.values()):
        return
    failed = [name for name, s in by_step.items() if s.idle and s.status != "Completed"]
    if failed:
        job.script.outcome = "Failed"
        job.script.error_message = (
            f"Pipeline has failed child jobs. Failed nodes: {', '.join('/' + f for f in failed)}. "
            "For more details and logs, please go to the job detail page and check the child jobs."
        )
    double._finish(job, job.script.outcome)


def _is_blocked(step: JobRecord, by_step: dict[str, JobRecord]) -> bool:
    return any(d in by_step and by_step[d].idle and by_step[d].status != "Completed" for d in step.depends_on)


def bind_outputs(double: AzureMLDouble, job: JobRecord) -> None:
    """A pipeline output bound to a step output (``${{parent.outputs.x}}``) is that step output's location."""
    props = job.resource["properties"]
    by_step = steps(double, job)
    for step_name, step in (props.get("jobs") or {}).items():
        child = by_step.get(step_name)
        if child is None:
            continue
        for output_name, binding in (step.get("outputs") or {}).items():
            value = binding.get("value") if isinstance(binding, dict) else None
            match = _PARENT_OUTPUT_REF.match(str(value or ""))
            target = (props.get("outputs") or {}).get(match["output"]) if match else None
            source = (child.resource["properties"].get("outputs") or {}).get(output_name)
            if target is not None and source is not None:
                target["uri"] = source.get("uri")
