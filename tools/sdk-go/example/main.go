// A Go program using the generated SDK, compiled and vetted by the package tests to check the
// SDK's types against the Pulumi Go SDK; the e2e suite runs test/e2e/go/main.go for real.
package main

import (
	"github.com/pulumi-multistage-image/pulumi-multistage-image/sdk/go/multistage"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		cfg := config.New(ctx, "")
		target := "builder"
		app, err := multistage.NewMultiStageImage(ctx, "app", &multistage.MultiStageImageArgs{
			Context: pulumi.String("./app"),
			Environments: map[string]multistage.EnvironmentInput{
				"dev": multistage.EnvironmentArgs{
					Target:    &target,
					BuildArgs: map[string]pulumi.StringInput{"NODE_ENV": pulumi.String("development")},
				},
				"production": multistage.EnvironmentArgs{
					BuildArgs: map[string]pulumi.StringInput{"NODE_ENV": pulumi.String("production")},
				},
			},
			BuildArgs:   pulumi.StringMap{"APP_VERSION": pulumi.String("1.0.0")},
			TagStrategy: []string{"{env}-{gitShortSha}", "{env}-{inputsHash}"},
			Registry: &multistage.RegistryArgs{
				Repository: pulumi.String(cfg.Require("repository")),
				Username:   pulumi.String(cfg.Require("username")),
				Password:   cfg.RequireSecret("password"),
			},
		})
		if err != nil {
			return err
		}
		ctx.Export("imageUri", app.ImageUri)
		ctx.Export("digest", app.Digest)
		ctx.Export("stages", app.Stages)
		// The consumer helper, as the package's function: the pinned image as a Kubernetes container.
		container := multistage.ToKubernetesContainerOutput(ctx, multistage.ToKubernetesContainerOutputArgs{
			ImageUri: app.ImageUri,
			Name:     pulumi.String("web"),
			Ports:    multistage.ContainerPortArray{multistage.ContainerPortArgs{ContainerPort: 3000}},
		})
		ctx.Export("image", container.Image())
		return nil
	})
}
