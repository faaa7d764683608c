"""Public azureml-examples pipelines, unchanged, submitted through the Azure backend as the program hands them over.

`hello-pipeline-io.yml` (Azure/azureml-examples `cli/jobs/basics/`, kept in tests/provider/local/examples/)
declares an inline step's output with no body; Pulumi's property encoding drops null values, so
the program declares it as the `uri_folder` output Azure ML makes of it.
"""

from __future__ import annotations

from pathlib import Path

from google.protobuf import struct_pb2
from pulumi.runtime import rpc

from components.provider.azure.backend import AzureBackend
from components.spec.settings import JobEntry
from components.spec.spec_cache import SpecCache
from components.spec.specs import SpecLoader
from tests.azureml_double import AzureMLDouble
from tests.provider.azure.builders import workspace

ROOT = Path(__file__).resolve().parents[3]
HELLO = Path("tests/provider/local/examples/hello-pipeline-io.yml")
JOB = "azureml-training-dev-hello-0a1b2c"


def test_hello_pipeline_io_declares_the_bare_output_on_the_steps_component(
    backend: AzureBackend, aml_double: AzureMLDouble, tmp_path: Path
) -> None:
    spec = SpecLoader(ROOT, "stacks/Pulumi.dev.yaml", SpecCache(tmp_path / "cache")).job(JobEntry(file=HELLO, key="hello"))
    props = {"workspace": workspace(aml_double), "key": "hello", "name": JOB, "name_prefix": "azureml-training-dev"}
    props |= {"definition": spec.definition, "base_dir": str(ROOT / spec.base_dir), "experiment": None, "rerun": 0}
    props |= {"wait": True, "timeout_minutes": 10, "on_delete": "archive"}
    struct = struct_pb2.Struct()
    struct.update(props)
    outs = backend.submit_job(rpc.deserialize_properties(struct))
    assert outs["status"] == "Completed"
    components = [
        put.body["properties"]["componentSpec"] for put in aml_double.find("PUT", r"/components/azureml_anonymous/versions/[^/]+$")
    ]
    hello = next(spec for spec in components if "world_output" in spec.get("command", ""))
    assert hello["outputs"]["world_output"]["type"] == "uri_folder"
