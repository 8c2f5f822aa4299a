"""A Python program using the generated SDK, type-checked with mypy --strict by the package tests
(test/package/sdks.test.ts); the e2e suite runs test/e2e/python/program.py for real."""

import pulumi
import pulumi_multistage as multistage

config = pulumi.Config()

app = multistage.MultiStageImage(
    "app",
    context="./app",
    environments={
        "dev": multistage.EnvironmentArgs(target="builder", build_args={"NODE_ENV": "development"}),
        "production": multistage.EnvironmentArgs(build_args={"NODE_ENV": "production"}),
    },
    build_args={"APP_VERSION": "1.0.0"},
    tag_strategy=["{env}-{gitShortSha}", "{env}-{inputsHash}"],
    registry=multistage.RegistryArgs(
        repository=config.require("repository"),
        username=config.require("username"),
        password=config.require_secret("password"),
    ),
)

image_uri: pulumi.Output[str] = app.image_uri
pulumi.export("imageUri", image_uri)
pulumi.export("digest", app.digest)

container = multistage.to_kubernetes_container_output(
    image_uri=app.image_uri,
    name="web",
    ports=[multistage.ContainerPort(container_port=3000)],
)
pulumi.export("image", container.image)
