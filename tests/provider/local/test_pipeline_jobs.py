"""Pipeline jobs on the local target: steps as a graph, outputs bound to inputs, child runs, failures, step reuse.

The pipelines follow the shapes of Azure/azureml-examples `cli/jobs/pipelines-with-components`:
steps using local component YAMLs and inline command steps, `${{parent.inputs.*}}`,
`${{parent.jobs.<step>.outputs.*}}` and `${{parent.outputs.*}}` bindings,
`settings.default_compute`, a sweep step over a component's inputs, and a nested pipeline
component. The scripts are tiny and run in the stack's own interpreter.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from mlflow import MlflowClient

from components.provider.local.backend import LocalBackend
from components.provider.local.errors import JobFailedError
from components.provider.local.step_reuse import REUSED_FROM_TAG
from components.provider.local.tracking import PARENT_RUN_TAG
from tests.provider.local.builders import STACK_PYTHON, job_props, write_script

# Reads a number from the input file (or 1), multiplies it, writes it to the output folder.
SCALE = """
    import os, sys, time
    source, factor, output = sys.argv[1], float(sys.argv[2]), sys.argv[3]
    value = float(open(source + "/value.txt").read()) if source != "-" else 1.0
    time.sleep(float(sys.argv[4]) if len(sys.argv) > 4 else 0)
    open(output + "/value.txt", "w").write(str(value * factor))
    print("scaled", value, "by", factor, os.environ.get("GREETING", ""))
"""
FAIL = """
    import sys
    print("the data is not what I expected")
    sys.exit(3)
"""
# Logs how far x is from 0.3 (the sweep minimizes it) and writes x.
TRIAL = """
    import sys, mlflow
    x, output = sys.argv[1], sys.argv[2]
    mlflow.log_metric("loss", abs(float(x) - 0.3))
    open(output + "/value.txt", "w").write(x)
"""


def component(project: Path, name: str, command: str, inputs: dict[str, Any], outputs: dict[str, Any], code: str = "src") -> str:
    body = {
        "$schema": "https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json",
        "type": "command",
        "name": name,
        "version": 1,
        "code": code,
        "command": command,
        "environment": STACK_PYTHON,
        "inputs": inputs,
        "outputs": outputs,
    }
    (project / f"{name}.yml").write_text(yaml.safe_dump(body))
    return f"./{name}.yml"


@pytest.fixture
def scale(project: Path, stack_python: str) -> str:
    """A component scaling `source`'s value by `factor` into `result`."""
    write_script(project / "src", "scale.py", SCALE)
    write_script(project / "src", "fail.py", FAIL)
    write_script(project / "src", "trial.py", TRIAL)
    return component(
        project,
        "scale",
        "python scale.py ${{inputs.source}} ${{inputs.factor}} ${{outputs.result}} ${{inputs.pause}}",
        {"source": {"type": "uri_folder"}, "factor": {"type": "number", "default": 2}, "pause": {"type": "number", "default": 0}},
        {"result": {"type": "uri_folder"}},
    )


def first_step(factor: float = 3) -> dict[str, Any]:
    """An inline command step: no input file, so it starts from 1."""
    return {
        "type": "command",
        "code": "src",
        "command": "python scale.py - ${{inputs.factor}} ${{outputs.result}}",
        "environment": STACK_PYTHON,
        "inputs": {"factor": factor},
        "outputs": {"result": {"type": "uri_folder"}},
    }


def pipeline(jobs: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"type": "pipeline", "settings": {"default_compute": "azureml:cpu"}, "jobs": jobs, **fields}


def submit(backend: LocalBackend, workspace: dict[str, Any], project: Path, definition: dict[str, Any], name: str) -> dict[str, Any]:
    return backend.submit_job(job_props(workspace, definition, project, name=name, key="pipeline"))


def value(outs: dict[str, Any], output: str) -> float:
    return float((Path(outs["outputs"][output]) / "value.txt").read_text())


def step_record(workspace: dict[str, Any], job: str, step: str) -> dict[str, Any]:
    return json.loads((Path(workspace["root"]) / "jobs" / job / "steps" / step / "step.json").read_text())


def step_log(workspace: dict[str, Any], job: str, step: str) -> str:
    return (Path(workspace["root"]) / "jobs" / job / "steps" / step / "user_logs" / "std_log.txt").read_text()


def test_a_two_step_pipeline_passes_the_first_steps_output_to_the_second(
    backend: LocalBackend, workspace: dict[str, Any], project: Path, scale: str
) -> None:
    definition = pipeline(
        {
            "start": first_step(factor=3),
            "double": {
                "component": scale,
                "inputs": {"source": "${{parent.jobs.start.outputs.result}}"},
                "outputs": {"result": "${{parent.outputs.final}}"},
            },
        },
        outputs={"final": {"type": "uri_folder"}},
    )
    outs = submit(backend, workspace, project, definition, "two-steps")
    assert outs["status"] == "Completed"
    assert value(outs, "start.result") == 3.0
    assert value(outs, "double.result") == 6.0  # the component's default factor, 2
    assert value(outs, "final") == 6.0  # the pipeline's output is the step's
    assert "scaled 3.0 by 2.0" in step_log(workspace, "two-steps", "double")


def test_an_inline_steps_output_bound_to_a_pipeline_output_by_a_bare_binding_is_that_output(
    backend: LocalBackend, workspace: dict[str, Any], project: Path, scale: str
) -> None:
    """`outputs: {result: ${{parent.outputs.final}}}` on an inline step, as the public examples write it."""
    start = {**first_step(factor=5), "outputs": {"result": "${{parent.outputs.final}}"}}
    definition = pipeline({"start": start}, outputs={"final": {"type": "uri_folder"}})
    outs = submit(backend, workspace, project, definition, "bare-binding")
    assert outs["status"] == "Completed"
    assert value(outs, "final") == 5.0


def test_each_step_is_a_child_run_of_the_pipelines_run(backend: LocalBackend, workspace: dict[str, Any], project: Path, scale: str) -> None:
    definition = pipeline(
        {"start": first_step(), "double": {"component": scale, "inputs": {"source": "${{parent.jobs.start.outputs.result}}"}}}
    )
    submit(backend, workspace, project, definition, "runs")
    client = MlflowClient(tracking_uri=f"sqlite:///{workspace['root']}/mlflow.db")
    runs = client.search_runs([e.experiment_id for e in client.search_experiments()])
    parent = next(run for run in runs if run.info.run_name == "runs")
    children = {run.info.run_name: run for run in runs if run.data.tags.get(PARENT_RUN_TAG) == parent.info.run_id}
    assert set(children) == {"start", "double"}
    assert all(run.info.status == "FINISHED" for run in children.values())


def test_a_three_step_pipeline_binds_parent_inputs_and_runs_independent_steps_together(
    backend: LocalBackend, workspace: dict[str, Any], project: Path, scale: str
) -> None:
    """`left` and `right` both need `start` only: they run at the same time (two slots), then `join` after both."""
    join = component(
        project,
        "join",
        "python -c \"import sys; a, b, o = sys.argv[1:]; open(o + '/value.txt', 'w').write(str("
        "float(open(a + '/value.txt').read()) + float(open(b + '/value.txt').read())))\" "
        "${{inputs.a}} ${{inputs.b}} ${{outputs.result}}",
        {"a": {"type": "uri_folder"}, "b": {"type": "uri_folder"}},
        {"result": {"type": "uri_folder"}},
    )
    slow = {"pause": 1.5}
    definition = pipeline(
        {
            "start": first_step(factor=1),
            "left": {
                "component": scale,
                "inputs": {"source": "${{parent.jobs.start.outputs.result}}", "factor": "${{parent.inputs.left_factor}}", **slow},
            },
            "right": {"component": scale, "inputs": {"source": "${{parent.jobs.start.outputs.result}}", "factor": 10, **slow}},
            "join": {
                "component": join,
                "inputs": {"a": "${{parent.jobs.left.outputs.result}}", "b": "${{parent.jobs.right.outputs.result}}"},
                "outputs": {"result": "${{parent.outputs.total}}"},
            },
        },
        inputs={"left_factor": 5},
        outputs={"total": {"type": "uri_folder"}},
    )
    outs = submit(backend, workspace, project, definition, "three-steps")
    assert value(outs, "left.result") == 5.0
    assert value(outs, "right.result") == 10.0
    assert value(outs, "total") == 15.0
    left, right, joined = (step_record(workspace, "three-steps", step) for step in ("left", "right", "join"))
    assert left["started"] < right["ended"] and right["started"] < left["ended"]  # they overlapped
    assert joined["started"] >= max(left["ended"], right["ended"])


def test_a_failed_middle_step_fails_the_pipeline_with_its_name_and_log_while_independent_steps_finish(
    backend: LocalBackend, workspace: dict[str, Any], project: Path, scale: str
) -> None:
    broken = component(project, "broken", "python fail.py ${{inputs.source}}", {"source": {"type": "uri_folder"}}, {})
    definition = pipeline(
        {
            "start": first_step(),
            "check": {"component": broken, "inputs": {"source": "${{parent.jobs.start.outputs.result}}"}},
            "after": {"component": scale, "inputs": {"source": "${{parent.jobs.check.outputs.result}}"}},
            "aside": {"component": scale, "inputs": {"source": "${{parent.jobs.start.outputs.result}}", "pause": 1}},
        }
    )
    with pytest.raises(JobFailedError) as failed:
        submit(backend, workspace, project, definition, "broken")
    message = str(failed.value)
    assert message.startswith("pipeline broken: step check failed; not run, since they need its outputs: after")
    assert "exit status 3" in message and "the data is not what I expected" in message
    assert step_record(workspace, "broken", "aside")["status"] == "Completed"
    assert not (Path(workspace["root"]) / "jobs" / "broken" / "steps" / "after").exists()
    # A pipeline runs once per name, as a job does: the failure stays until what runs changes.
    with pytest.raises(JobFailedError, match="failed earlier"):
        submit(backend, workspace, project, definition, "broken")


def test_a_sweep_step_tunes_a_components_input_and_hands_the_best_trial_on(
    backend: LocalBackend, workspace: dict[str, Any], project: Path, scale: str
) -> None:
    trial = component(project, "trial", "python trial.py ${{inputs.x}} ${{outputs.result}}", {"x": {"type": "number"}}, {"result": {}})
    definition = pipeline(
        {
            "tune": {
                "type": "sweep",
                "trial": trial,
                "search_space": {"x": {"type": "choice", "values": [0.9, 0.3]}},
                "sampling_algorithm": "grid",
                "objective": {"goal": "minimize", "primary_metric": "loss"},
                "limits": {"max_total_trials": 2, "max_concurrent_trials": 2},
                "outputs": {"result": {"type": "uri_folder"}},
            },
            "double": {"component": scale, "inputs": {"source": "${{parent.jobs.tune.outputs.result}}"}},
        }
    )
    outs = submit(backend, workspace, project, definition, "tuned")
    assert value(outs, "tune.result") == 0.3  # the best trial's
    assert value(outs, "double.result") == 0.6


def test_a_nested_pipeline_component_runs_its_steps_with_the_outer_bindings(
    backend: LocalBackend, workspace: dict[str, Any], project: Path, scale: str
) -> None:
    inner = {
        "type": "pipeline",
        "inputs": {"source": {"type": "uri_folder"}},
        "outputs": {"result": {"type": "uri_folder"}},
        "jobs": {
            "twice": {"component": scale, "inputs": {"source": "${{parent.inputs.source}}"}},
            "again": {
                "component": scale,
                "inputs": {"source": "${{parent.jobs.twice.outputs.result}}"},
                "outputs": {"result": "${{parent.outputs.result}}"},
            },
        },
    }
    (project / "inner.yml").write_text(yaml.safe_dump(inner))
    definition = pipeline(
        {
            "start": first_step(factor=3),
            "inner": {"type": "pipeline", "component": "./inner.yml", "inputs": {"source": "${{parent.jobs.start.outputs.result}}"}},
        }
    )
    outs = submit(backend, workspace, project, definition, "nested")
    assert value(outs, "inner.result") == 12.0
    assert "scaled 6.0 by 2.0" in step_log(workspace, "nested", "inner/again")


def test_a_step_naming_a_registered_component_runs_that_version(
    backend: LocalBackend, workspace: dict[str, Any], project: Path, scale: str
) -> None:
    body = yaml.safe_load((project / "scale.yml").read_text())
    backend.put_component({"workspace": workspace, "name": "scale", "version": "7", "definition": body, "base_dir": str(project)})
    definition = pipeline(
        {
            "start": first_step(),
            "double": {"component": "azureml:scale@latest", "inputs": {"source": "${{parent.jobs.start.outputs.result}}"}},
        }
    )
    outs = submit(backend, workspace, project, definition, "registered")
    assert value(outs, "double.result") == 6.0


def test_a_step_overrides_its_components_compute_and_environment_variables(
    backend: LocalBackend, workspace: dict[str, Any], project: Path, scale: str
) -> None:
    definition = pipeline(
        {
            "start": first_step(),
            "double": {
                "component": scale,
                "compute": "azureml:gpu",
                "environment_variables": {"GREETING": "from the step"},
                "inputs": {"source": "${{parent.jobs.start.outputs.result}}"},
            },
        }
    )
    submit(backend, workspace, project, definition, "overrides")
    compute = Path(workspace["root"]) / "compute"
    assert {folder.name for folder in compute.iterdir()} == {"cpu", "gpu"}  # settings.default_compute, and the step's own
    assert "scaled 3.0 by 2.0 from the step" in step_log(workspace, "overrides", "double")


def test_a_model_is_registered_from_a_steps_output(backend: LocalBackend, workspace: dict[str, Any], project: Path, scale: str) -> None:
    definition = pipeline(
        {"start": first_step(), "double": {"component": scale, "inputs": {"source": "${{parent.jobs.start.outputs.result}}"}}}
    )
    submit(backend, workspace, project, definition, "for-model")
    props = {"workspace": workspace, "name": "scaled", "job_name": "for-model", "output": "double.result", "type": "custom_model"}
    registered = backend.register_model(props | {"description": None, "definition": {}})
    source = MlflowClient(tracking_uri=f"sqlite:///{workspace['root']}/mlflow.db").get_model_version("scaled", registered["version"]).source
    assert float((Path(source) / "value.txt").read_text()) == 6.0


# One step of a prep -> train -> evaluate pipeline: counts its execution, multiplies its input's value by FACTOR.
COUNTED_STEP = """
    import sys
    FACTOR = {factor}
    counter, step, source, output = sys.argv[1:]
    open(counter, "a").write(step + "\\n")
    value = float(open(source + "/value.txt").read()) if source != "-" else 1.0
    open(output + "/value.txt", "w").write(str(value * FACTOR))
"""
FACTORS = {"prep": 2, "train": 3, "evaluate": 5}


@pytest.fixture
def counted(project: Path, stack_python: str) -> Path:
    """The code of the steps of `three_steps`, each in a folder of its own."""
    for step, factor in FACTORS.items():
        write_script(project / step, "step.py", COUNTED_STEP.format(factor=factor))
    return project


def counted_step(project: Path, step: str, source: str | None, output: str) -> dict[str, Any]:
    """An inline command step running `<step>/step.py`, counting its executions in `runs.log`."""
    inputs = {"source": source} if source else {}
    argument = "${{inputs.source}}" if source else "-"
    return {
        "type": "command",
        "code": step,
        "command": f"python step.py {project / 'runs.log'} {step} {argument} ${{{{outputs.{output}}}}}",
        "environment": STACK_PYTHON,
        "inputs": inputs,
        "outputs": {output: {"type": "uri_folder"}},
    }


def three_steps(project: Path, **fields: Any) -> dict[str, Any]:
    """prep -> train -> evaluate, each step's value its input's times its factor: 2, 3 and 5."""
    return pipeline(
        {
            "prep": counted_step(project, "prep", None, "data"),
            "train": counted_step(project, "train", "${{parent.jobs.prep.outputs.data}}", "model"),
            "evaluate": counted_step(project, "evaluate", "${{parent.jobs.train.outputs.model}}", "report"),
        },
        **fields,
    )


def executions(project: Path) -> dict[str, int]:
    lines = (project / "runs.log").read_text().splitlines()
    return {step: lines.count(step) for step in FACTORS}


def step_runs(workspace: dict[str, Any], job: str) -> dict[str, list[Any]]:
    """The MLflow runs of the pipeline job's steps, by step."""
    client = MlflowClient(tracking_uri=f"sqlite:///{workspace['root']}/mlflow.db")
    runs = client.search_runs([e.experiment_id for e in client.search_experiments()])
    parent = next(run for run in runs if run.info.run_name == job)
    children: dict[str, list[Any]] = {}
    for run in runs:
        if run.data.tags.get(PARENT_RUN_TAG) == parent.info.run_id:
            children.setdefault(run.info.run_name, []).append(run)
    return children


def test_editing_one_step_runs_it_and_the_steps_after_it_again_and_reuses_the_ones_before(
    backend: LocalBackend, workspace: dict[str, Any], project: Path, counted: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    assert value(submit(backend, workspace, project, three_steps(project), "first"), "evaluate.report") == 30.0
    assert executions(project) == {"prep": 1, "train": 1, "evaluate": 1}

    write_script(project / "train", "step.py", COUNTED_STEP.format(factor=4))
    outs = submit(backend, workspace, project, three_steps(project), "second")

    assert executions(project) == {"prep": 1, "train": 2, "evaluate": 2}
    assert value(outs, "evaluate.report") == 40.0  # train read the reused prep output: 2 * 4 * 5
    assert step_record(workspace, "second", "prep")["reused_from"] == "first/prep"
    assert "reused_from" not in step_record(workspace, "second", "train")
    assert "step prep of pipeline second: reused from first/prep" in capfd.readouterr().err
    runs = step_runs(workspace, "second")
    assert [(run.info.status, run.data.tags.get(REUSED_FROM_TAG)) for run in runs["prep"]] == [("FINISHED", "first/prep")]
    assert REUSED_FROM_TAG not in runs["train"][0].data.tags


def test_a_reused_steps_outputs_outlive_the_job_it_took_them_from(
    backend: LocalBackend, workspace: dict[str, Any], project: Path, counted: Path
) -> None:
    first = job_props(workspace, three_steps(project), project, name="first", key="pipeline")
    backend.submit_job(first)
    second = submit(backend, workspace, project, three_steps(project), "second")
    assert executions(project) == {"prep": 1, "train": 1, "evaluate": 1}  # nothing changed: nothing ran

    backend.remove_job(first, "delete")  # as a replace does, after creating the new job
    assert not (Path(workspace["root"]) / "jobs" / "first").exists()

    assert value(second, "prep.data") == 2.0 and value(second, "evaluate.report") == 30.0
    third = submit(backend, workspace, project, three_steps(project), "third")
    assert executions(project) == {"prep": 1, "train": 1, "evaluate": 1}
    assert step_record(workspace, "third", "evaluate")["reused_from"] == "second/evaluate"
    assert value(third, "evaluate.report") == 30.0


def test_force_rerun_runs_every_step_again(backend: LocalBackend, workspace: dict[str, Any], project: Path, counted: Path) -> None:
    settings = {"default_compute": "azureml:cpu", "force_rerun": True}
    submit(backend, workspace, project, three_steps(project, settings=settings), "first")
    submit(backend, workspace, project, three_steps(project, settings=settings), "second")

    assert executions(project) == {"prep": 2, "train": 2, "evaluate": 2}


def test_a_step_of_a_non_deterministic_component_runs_again_and_so_do_the_steps_after_it(
    backend: LocalBackend, workspace: dict[str, Any], project: Path, counted: Path
) -> None:
    def definition() -> dict[str, Any]:
        steps = three_steps(project)
        train = steps["jobs"]["train"]
        (project / "train.yml").write_text(
            yaml.safe_dump({**train, "is_deterministic": False, "inputs": {"source": {"type": "uri_folder"}}})
        )
        steps["jobs"]["train"] = {"component": "./train.yml", "inputs": train["inputs"]}
        return steps

    submit(backend, workspace, project, definition(), "first")
    submit(backend, workspace, project, definition(), "second")

    assert executions(project) == {"prep": 1, "train": 2, "evaluate": 2}


def test_a_pipeline_resumed_after_an_interrupted_deployment_keeps_the_steps_it_reused(
    backend: LocalBackend, workspace: dict[str, Any], project: Path, counted: Path
) -> None:
    first = job_props(workspace, three_steps(project), project, name="first", key="pipeline")
    backend.submit_job(first)
    second = job_props(workspace, three_steps(project), project, name="second", key="pipeline")
    backend.submit_job(second)
    record = Path(workspace["root"]) / "jobs" / "second" / "job.json"
    record.write_text(json.dumps({"name": "second", "status": "Running", "started": 0}))  # as a killed deployment leaves it
    backend.remove_job(first, "delete")  # what it reused from is gone: it must not need it again

    assert value(backend.submit_job(second), "evaluate.report") == 30.0

    assert executions(project) == {"prep": 1, "train": 1, "evaluate": 1}
    assert {step: len(runs) for step, runs in step_runs(workspace, "second").items()} == {"prep": 1, "train": 1, "evaluate": 1}


def test_the_steps_of_a_nested_pipeline_are_reused_too(
    backend: LocalBackend, workspace: dict[str, Any], project: Path, counted: Path
) -> None:
    inner = {
        "type": "pipeline",
        "outputs": {"model": {"type": "uri_folder"}},
        "jobs": {
            "prep": counted_step(project, "prep", None, "data"),
            "train": {
                **counted_step(project, "train", "${{parent.jobs.prep.outputs.data}}", "model"),
                "outputs": {"model": {"type": "uri_folder", "path": "${{parent.outputs.model}}"}},
            },
        },
    }
    (project / "inner.yml").write_text(yaml.safe_dump(inner))

    def definition() -> dict[str, Any]:
        return pipeline(
            {
                "inner": {"type": "pipeline", "component": "./inner.yml"},
                "evaluate": counted_step(project, "evaluate", "${{parent.jobs.inner.outputs.model}}", "report"),
            }
        )

    submit(backend, workspace, project, definition(), "first")
    write_script(project / "evaluate", "step.py", COUNTED_STEP.format(factor=7))
    outs = submit(backend, workspace, project, definition(), "second")

    assert executions(project) == {"prep": 1, "train": 1, "evaluate": 2}
    assert step_record(workspace, "second", "inner/train")["reused_from"] == "first/inner/train"
    assert value(outs, "evaluate.report") == 42.0


def test_a_step_reading_local_data_runs_again_when_the_datas_content_changes(
    backend: LocalBackend, workspace: dict[str, Any], project: Path, counted: Path
) -> None:
    (project / "data").mkdir()
    (project / "data" / "value.txt").write_text("1")

    def definition() -> dict[str, Any]:
        steps = three_steps(project, inputs={"source": {"type": "uri_folder", "path": "./data"}})
        steps["jobs"]["prep"] = counted_step(project, "prep", "${{parent.inputs.source}}", "data")
        return steps

    submit(backend, workspace, project, definition(), "first")
    submit(backend, workspace, project, definition(), "second")
    assert executions(project) == {"prep": 1, "train": 1, "evaluate": 1}

    (project / "data" / "value.txt").write_text("10")
    outs = submit(backend, workspace, project, definition(), "third")

    assert executions(project) == {"prep": 2, "train": 2, "evaluate": 2}
    assert value(outs, "evaluate.report") == 300.0
