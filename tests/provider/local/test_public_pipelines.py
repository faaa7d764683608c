"""Public azureml-examples pipelines, unchanged, run on the local target as the program hands them over.

`examples/hello-pipeline-io.yml` is Azure/azureml-examples `cli/jobs/basics/hello-pipeline-io.yml`:
an inline step declares its output with no body (`world_output:`), which Azure ML takes as a
`uri_folder` output. The definition goes the way `pulumi up` sends it: read by the program's spec
loader, then through Pulumi's property encoding, which drops null values.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from google.protobuf import struct_pb2
from pulumi.runtime import rpc

from components.provider.local.backend import LocalBackend
from components.spec.settings import JobEntry
from components.spec.spec_cache import SpecCache
from components.spec.specs import SpecLoader
from tests.provider.local.builders import ROOT, job_props

EXAMPLES = Path(__file__).parent / "examples"


def over_the_wire(props: dict[str, Any]) -> dict[str, Any]:
    """Props as the dynamic provider's host receives them from the engine."""
    struct = struct_pb2.Struct()
    struct.update(props)
    return rpc.deserialize_properties(struct)


def test_hello_pipeline_io_completes_with_the_first_steps_bare_output_handed_to_the_second(
    backend: LocalBackend, workspace: dict[str, Any], tmp_path: Path
) -> None:
    file = (EXAMPLES / "hello-pipeline-io.yml").relative_to(ROOT)
    spec = SpecLoader(ROOT, "stacks/Pulumi.local.yaml", SpecCache(tmp_path / "cache")).job(JobEntry(file=file, key="hello"))
    props = over_the_wire(job_props(workspace, spec.definition, ROOT / spec.base_dir, name="hello-pipeline-io", key="hello"))
    outs = backend.submit_job(props)
    assert outs["status"] == "Completed"
    world = Path(outs["outputs"]["hello_job.world_output"]) / "world.txt"
    assert world.read_text() == "world\n"
    log = Path(workspace["root"]) / "jobs" / "hello-pipeline-io" / "steps" / "world_job" / "user_logs" / "std_log.txt"
    assert "world" in log.read_text()
