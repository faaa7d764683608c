"""Pipeline jobs under mocks: one Job resource whose identity covers every step's content.

The fixture under tests/unit/pipelines/ follows azureml-examples' `pipelines-with-components`:
local component YAMLs, an inline step with an inline environment, a sweep step, a nested
pipeline component and a component registered by the stack. Each kind of edit changes exactly
the step it touches (and preview names it, `steps.<step>.<what>`); an edit no step reads
changes nothing; unchanged files never reach azure-ai-ml.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from components.provider.providers import JobProvider
from components.spec.pipeline_specs import declare_bare_outputs
from components.spec.settings import JobEntry, SettingsError
from components.spec.spec_cache import SpecCache
from components.spec.specs import SpecLoader
from tests.unit.harness import SUBSCRIPTION, Registered, Run, run_stack

PIPELINES = Path("tests/unit/pipelines")
PIPELINE = PIPELINES / "pipeline.yml"
WORKSPACE = {"existing": True, "subscriptionId": SUBSCRIPTION, "resourceGroup": "team-rg", "name": "team-ws"}


def stack(**extra: Any) -> dict[str, Any]:
    return {
        "target": "azure",
        "workspace": WORKSPACE,
        "environments": [{"file": "jobs/environment.yml"}],
        "components": [{"file": str(PIPELINES / "shared_scaler.yml")}],
        "jobs": [{"file": str(PIPELINE), "key": "pipeline"}],
        **extra,
    }


@pytest.fixture(scope="module")
def run() -> Run:
    return run_stack("dev", config=stack())


def of_kind(run: Run, kind: str) -> list[Registered]:
    return [r for r in run.resources if r.type.endswith(f"azureml:{kind}")]


def test_a_pipeline_is_one_job_resource_with_its_steps_as_written(run: Run) -> None:
    (job,) = of_kind(run, "Job")
    definition = job.inputs["definition"]
    assert definition["type"] == "pipeline"
    assert set(definition["jobs"]) == {"prep_job", "train_job", "tune_job", "score_job", "report_job", "shared_job", "external_job"}
    assert definition["jobs"]["train_job"]["component"] == "./train.yml"
    assert definition["settings"] == {"default_compute": "azureml:cpu-cluster"}


def test_every_step_is_tracked_by_what_it_runs_from(run: Run) -> None:
    (job,) = of_kind(run, "Job")
    tracked = {key.removeprefix("steps.") for key in job.inputs if key.startswith("steps.")}
    assert {"prep_job.component_hash", "prep_job.code_hash", "train_job.code_hash", "tune_job.code_hash"} <= tracked
    assert {"score_job.code_hash", "score_job.environment_hash", "score_job.input_hashes.labels"} <= tracked
    assert {"report_job.component_hash", "report_job/summarize_job.component_hash", "report_job/summarize_job.code_hash"} <= tracked
    # The pipeline's own local input, as for a command job.
    assert set(job.inputs["input_hashes"]) == {"raw"}


def test_a_step_naming_a_component_of_the_stack_uses_its_version_and_waits_for_it(run: Run) -> None:
    (job,) = of_kind(run, "Job")
    (component,) = of_kind(run, "Component")
    version = component.inputs["version"]
    assert job.inputs["definition"]["jobs"]["shared_job"]["component"] == f"azureml:shared_scaler:{version}"
    assert component.urn in job.dependencies


def test_a_step_naming_a_component_outside_the_stack_passes_through(run: Run) -> None:
    (job,) = of_kind(run, "Job")
    assert job.inputs["definition"]["jobs"]["external_job"]["component"] == "azureml:team_scorer:3"
    assert not any(key.startswith("steps.external_job.") for key in job.inputs)


def test_steps_inside_component_files_wait_for_the_stack_environment_they_name(run: Run) -> None:
    (job,) = of_kind(run, "Job")
    (environment,) = of_kind(run, "Environment")
    assert environment.urn in job.dependencies
    assert job.inputs["steps.report_job/summarize_job.environment"] == f"azureml:sklearn-train:{environment.inputs['version']}"


def test_a_component_is_versioned_by_its_content() -> None:
    (component,) = of_kind(run_stack("dev", config=stack()), "Component")
    assert component.inputs["name"] == "shared_scaler"
    assert len(component.inputs["version"]) == 10 and component.inputs["content_hash"].startswith(component.inputs["version"])


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(Path(__file__).parent / "pipelines", tmp_path / PIPELINES)
    return tmp_path


class Counting(SpecLoader):
    """A SpecLoader that counts its calls into azure-ai-ml's validation."""

    validations = 0

    def _validate(self, file: Path, loader: str, overrides: list[dict[str, Any]]) -> None:
        Counting.validations += 1
        super()._validate(file, loader, overrides)


def loader_for(project: Path) -> SpecLoader:
    return Counting(project, "stacks/Pulumi.dev.yaml", SpecCache(project / "cache"))


def step_hashes(project: Path) -> dict[str, str]:
    spec = loader_for(project).job(JobEntry(file=PIPELINE))
    return {**spec.step_hashes, **{f"input_hashes.{k}": v for k, v in spec.input_hashes.items()}}


def edit(path: Path, text: str) -> None:
    """Append to a file, dated in the past so the spec cache may remember the new content."""
    path.write_text(path.read_text() + text)
    earlier = time.time_ns() - 10_000_000_000
    os.utime(path, ns=(earlier, earlier))


EDITS = {
    # file edited -> the step hashes that must change (and no other)
    "train-src/train.py": {"train_job.code_hash", "tune_job.code_hash"},
    "prep.yml": {"prep_job.component_hash"},
    "score-src/score.py": {"score_job.code_hash"},
    "score-conda.yml": {"score_job.environment_hash"},
    "labels.csv": {"score_job.input_hashes.labels"},
    "data/rows.csv": {"input_hashes.raw"},
    "report-src/report.py": {"report_job/summarize_job.code_hash"},
    "report.yml": {"report_job/summarize_job.component_hash"},
    "notes.txt": set(),
    "train-src/scratch.txt": set(),  # listed in train-src/.amlignore: not part of the snapshot
}


@pytest.mark.parametrize(("file", "changed"), EDITS.items(), ids=list(EDITS))
def test_each_kind_of_edit_changes_only_the_steps_that_run_it(project: Path, file: str, changed: set[str]) -> None:
    before = step_hashes(project)
    edit(project / PIPELINES / file, "\n# edited\n")
    after = step_hashes(project)
    assert {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)} == changed


def test_preview_names_the_step_and_what_changed(project: Path) -> None:
    def props() -> dict[str, Any]:
        spec = loader_for(project).job(JobEntry(file=PIPELINE))
        inputs = {"workspace": {"target": "local"}, "key": "pipeline", "name_prefix": "p", "definition": spec.definition}
        inputs |= {f"steps.{what}": value for what, value in spec.step_hashes.items()}
        return {**inputs, "name": JobProvider.job_name(inputs)}

    olds = props()
    edit(project / PIPELINES / "train-src/train.py", "\nprint('more')\n")
    result = JobProvider().diff("id", olds, props())
    assert result.replaces == ["name", "steps.train_job.code_hash", "steps.tune_job.code_hash"]


def test_unchanged_files_skip_azure_ml_and_an_edited_component_is_validated_again(project: Path) -> None:
    Counting.validations = 0
    for file in (project / PIPELINES).rglob("*"):
        earlier = time.time_ns() - 10_000_000_000
        os.utime(file, ns=(earlier, earlier))
    step_hashes(project)
    assert Counting.validations == 1
    step_hashes(project)
    assert Counting.validations == 1  # the cache answered
    edit(project / PIPELINES / "report.yml", "\n# edited\n")
    step_hashes(project)
    assert Counting.validations == 2


def test_a_missing_component_file_fails_in_one_line_naming_the_pipeline_and_the_step(project: Path) -> None:
    (project / PIPELINES / "train.yml").unlink()
    with pytest.raises(SettingsError) as failed:
        step_hashes(project)
    assert str(failed.value) == (
        f"stacks/Pulumi.dev.yaml: {PIPELINE}: jobs.train_job.component: './train.yml' does not exist ({PIPELINES / 'train.yml'})"
    )


def test_the_local_target_refuses_steps_only_azure_ml_runs_at_preview(project: Path) -> None:
    pipeline = project / PIPELINES / "pipeline.yml"
    pipeline.write_text(
        pipeline.read_text()
        + "  spark_job:\n    type: spark\n    code: ./prep-src\n    entry:\n      file: prep.py\n"
        + "    conf:\n      spark.driver.cores: 1\n      spark.driver.memory: 2g\n      spark.executor.cores: 1\n"
        + "      spark.executor.memory: 2g\n      spark.executor.instances: 1\n"
        + "    resources:\n      instance_type: standard_e4s_v3\n      runtime_version: '3.4'\n"
    )
    loader, entry = loader_for(project), JobEntry(file=PIPELINE)
    with pytest.raises(SettingsError) as refused:
        loader.refuse_unrunnable_locally(entry, loader.job(entry))
    assert str(refused.value) == (
        f"stacks/Pulumi.dev.yaml: {PIPELINE}: jobs.spark_job: spark steps run only on Azure ML "
        "(the local target runs command, sweep and pipeline steps)"
    )


def test_a_local_stack_with_an_automl_job_fails_its_preview_naming_the_file_and_the_type() -> None:
    automl = "tests/unit/pipelines/automl/job.yml"
    with pytest.raises(SettingsError) as refused:
        run_stack("local", config={"target": "local", "jobs": [{"file": automl, "key": "automl"}]})
    assert str(refused.value) == (
        f"stacks/Pulumi.local.yaml: {automl}: type: automl jobs run only on Azure ML "
        "(the local target runs command, sweep and pipeline jobs)"
    )


@pytest.mark.parametrize("output", ["model", "train_job.model", "prep_job.prepared", "shared_job.anything"])
def test_a_model_may_name_the_pipelines_output_or_a_steps(output: str) -> None:
    """A registered component's outputs are not known before it runs (shared_job): any is accepted."""
    models = [{"name": "piped", "job": "pipeline", "output": output}]
    (model,) = of_kind(run_stack("dev", config=stack(models=models)), "Model")
    assert model.inputs["output"] == output


def test_a_model_naming_an_output_no_step_declares_fails_the_preview() -> None:
    models = [{"name": "piped", "job": "pipeline", "output": "report_job.summary"}]
    with pytest.raises(SettingsError) as refused:
        run_stack("dev", config=stack(models=models))
    assert str(refused.value).startswith(
        "stacks/Pulumi.dev.yaml: azureml-training:models[0].output: 'report_job.summary' is not an output of job 'pipeline' "
        f"({PIPELINE} declares: model, prep_job.prepared, train_job.model, tune_job.model"
    )


def test_outputs_written_without_a_body_are_declared_as_uri_folders_except_a_component_steps() -> None:
    """Pulumi drops null property values: a bare inline output would reach the provider as no output."""
    pipeline = {
        "type": "pipeline",
        "outputs": {"final": None},
        "jobs": {
            "hello_job": {"command": "echo hi > ${{outputs.greeting}}/hi.txt", "outputs": {"greeting": None}},
            "train_job": {"component": "./train.yml", "outputs": {"model": None}},
            "inline_component_job": {"component": {"command": "echo", "outputs": {"report": None}}},
        },
    }
    declared = declare_bare_outputs(pipeline)
    assert declared["outputs"] == {"final": {"type": "uri_folder"}}
    assert declared["jobs"]["hello_job"]["outputs"] == {"greeting": {"type": "uri_folder"}}
    assert declared["jobs"]["train_job"]["outputs"] == {"model": None}  # the component's type stands
    assert declared["jobs"]["inline_component_job"]["component"]["outputs"] == {"report": {"type": "uri_folder"}}
    assert pipeline["jobs"]["hello_job"]["outputs"] == {"greeting": None}  # the YAML's body is not changed


def test_a_job_resource_carries_a_bare_output_as_a_uri_folder() -> None:
    hello = "tests/provider/local/examples/hello-pipeline-io.yml"
    (job,) = of_kind(run_stack("dev", config=stack(jobs=[{"file": hello, "key": "hello"}])), "Job")
    assert job.inputs["definition"]["jobs"]["hello_job"]["outputs"] == {"world_output": {"type": "uri_folder"}}
