"""The node-service app from a Python program, through the multistage component package: dev builds
the `builder` stage, production the final stage, each stack its own environment (the stack name),
pushed to the registry in the stack's config (`repository`, `username`, secret `password`). The
e2e test (test/e2e/python.test.ts) runs it as an inline program of the Automation API."""

from typing import Any

import pulumi
import pulumi_multistage as multistage


def program() -> None:
    config = pulumi.Config()
    environments: dict[str, Any] = {
        "dev": multistage.EnvironmentArgs(
            target=config.get("devTarget") or "builder",
            build_args={"NODE_ENV": config.get("devNodeEnv") or "development"},
        ),
        "production": multistage.EnvironmentArgs(build_args={"NODE_ENV": "production"}),
    }
    if config.get("devTypo"):
        # A nested arg misspelt, as a dict (the form Python's type hints also take) lets one through.
        environments["dev"] = {"targt": "builder"}
    app = multistage.MultiStageImage(
        "app",
        context=config.require("context"),
        git_sha=config.get("gitSha"),
        environments=environments,
        build_args={
            "APP_VERSION": "1.0.0",
            "NODE_IMAGE": config.require("nodeImage"),
            "NODE_RUNTIME_IMAGE": config.require("nodeRuntimeImage"),
        },
        # The TypeScript tag function's cross-language form: a list of templates.
        tag_strategy=["{env}-{gitShortSha}", "{env}-{inputsHash}"],
        registry=multistage.RegistryArgs(
            repository=config.require("repository"),
            username=config.require("username"),
            password=config.require_secret("password"),
        ),
        **({"test_stage": config.get("testStage")} if config.get("testStage") else {}),
    )
    container = multistage.to_kubernetes_container_output(
        image_uri=app.image_uri,
        name="web",
        ports=[multistage.ContainerPort(container_port=3000)],
    )
    ecs = multistage.to_ecs_container_definition_output(
        image_uri=app.image_uri,
        name="web",
        ports=[multistage.ContainerPort(container_port=3000)],
    )
    pulumi.export(
        "ecs",
        ecs.apply(lambda e: {"name": e.name, "image": e.image, "essential": e.essential, "portMappings": e.port_mappings}),
    )
    pulumi.export("imageUri", app.image_uri)
    pulumi.export("digest", app.digest)
    pulumi.export("target", app.target)
    pulumi.export("tags", app.tags)
    pulumi.export("rebuildReason", app.rebuild_reason)
    pulumi.export(
        "container",
        container.apply(
            lambda c: {"name": c.name, "image": c.image, "imagePullPolicy": c.image_pull_policy, "ports": c.ports}
        ),
    )
