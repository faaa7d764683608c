"""azureml-training: one stack = one Azure ML (or local) training environment."""

from pathlib import Path

import pulumi

from components.assets import MlAssets
from components.spec.parallelism import warn_if_jobs_queue
from components.spec.preflight import check_stack
from components.spec.settings import exit_on_settings_error, load_settings, stack_file
from components.targets import workspace_target


def main() -> None:
    settings = load_settings()
    # Every YAML file is checked before the first resource is registered: `up` creates as it goes.
    check_stack(settings, pulumi.get_stack(), Path.cwd())
    warn_if_jobs_queue(settings, stack_file(pulumi.get_stack()))
    target = workspace_target(settings)
    assets = MlAssets("ml", settings, target)

    pulumi.export("workspace", target.outputs)
    pulumi.export("jobs", assets.jobs)
    pulumi.export("models", assets.models)
    if settings.endpoints:
        pulumi.export("endpoints", assets.endpoints)
        pulumi.export("endpointKeys", assets.endpoint_keys)
    if settings.schedules:
        pulumi.export("schedules", assets.schedules)


exit_on_settings_error(main)
