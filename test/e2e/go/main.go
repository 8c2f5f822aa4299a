// The node-service app from a Go program, through the multistage component package, run as an
// inline program of Go's Automation API (no Go language host): `go run . <preview|up|destroy>
// <stack> <work dir> <config.json>`. Dev builds the `builder` stage, production the final stage,
// each stack its own environment (the stack name). Prints one line `RESULT <json>` last.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/pulumi-multistage-image/pulumi-multistage-image/sdk/go/multistage"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

// The program the driver runs: the app, or (built with readme.go) the README's example.
var program = appProgram

func appProgram(ctx *pulumi.Context) error {
	cfg := config.New(ctx, "")
	target := cfg.Get("devTarget")
	if target == "" {
		target = "builder"
	}
	nodeEnv := cfg.Get("devNodeEnv")
	if nodeEnv == "" {
		nodeEnv = "development"
	}
	gitSha := cfg.Get("gitSha")
	app, err := multistage.NewMultiStageImage(ctx, "app", &multistage.MultiStageImageArgs{
		Context: pulumi.String(cfg.Require("context")),
		GitSha:  &gitSha,
		Environments: map[string]multistage.EnvironmentInput{
			"dev": multistage.EnvironmentArgs{
				Target:    &target,
				BuildArgs: map[string]pulumi.StringInput{"NODE_ENV": pulumi.String(nodeEnv)},
			},
			"production": multistage.EnvironmentArgs{
				BuildArgs: map[string]pulumi.StringInput{"NODE_ENV": pulumi.String("production")},
			},
		},
		BuildArgs: pulumi.StringMap{
			"APP_VERSION":        pulumi.String("1.0.0"),
			"NODE_IMAGE":         pulumi.String(cfg.Require("nodeImage")),
			"NODE_RUNTIME_IMAGE": pulumi.String(cfg.Require("nodeRuntimeImage")),
		},
		// The TypeScript tag function's cross-language form: a list of templates.
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
	container := multistage.ToKubernetesContainerOutput(ctx, multistage.ToKubernetesContainerOutputArgs{
		ImageUri: app.ImageUri,
		Name:     pulumi.String("web"),
		Ports:    multistage.ContainerPortArray{multistage.ContainerPortArgs{ContainerPort: 3000}},
	})
	ecs := multistage.ToEcsContainerDefinitionOutput(ctx, multistage.ToEcsContainerDefinitionOutputArgs{
		ImageUri: app.ImageUri,
		Name:     pulumi.String("web"),
		Ports:    multistage.ContainerPortArray{multistage.ContainerPortArgs{ContainerPort: 3000}},
	})
	ctx.Export("ecs", ecs.ApplyT(func(e multistage.ToEcsContainerDefinitionResult) map[string]interface{} {
		return map[string]interface{}{"name": e.Name, "image": e.Image, "essential": e.Essential, "portMappings": e.PortMappings}
	}))
	ctx.Export("imageUri", app.ImageUri)
	ctx.Export("digest", app.Digest)
	ctx.Export("target", app.Target)
	ctx.Export("tags", app.Tags)
	ctx.Export("rebuildReason", app.RebuildReason)
	ctx.Export("container", container.ApplyT(func(c multistage.ToKubernetesContainerResult) map[string]interface{} {
		return map[string]interface{}{"name": c.Name, "image": c.Image, "imagePullPolicy": c.ImagePullPolicy, "ports": c.Ports}
	}))
	return nil
}

func main() {
	command, stackName, workDir, configFile := os.Args[1], os.Args[2], os.Args[3], os.Args[4]
	ctx := context.Background()
	result, err := run(ctx, command, stackName, workDir, configFile)
	if err != nil {
		result = map[string]interface{}{"error": err.Error()}
	}
	out, _ := json.Marshal(result)
	fmt.Println("RESULT " + string(out))
	if err != nil {
		os.Exit(1)
	}
}

func run(ctx context.Context, command, stackName, workDir, configFile string) (map[string]interface{}, error) {
	stack, err := auto.UpsertStackInlineSource(ctx, stackName, "go-service", program, auto.WorkDir(workDir))
	if err != nil {
		return nil, err
	}
	text, err := os.ReadFile(configFile)
	if err != nil {
		return nil, err
	}
	var values map[string]struct {
		Value  string `json:"value"`
		Secret bool   `json:"secret"`
	}
	if err := json.Unmarshal(text, &values); err != nil {
		return nil, err
	}
	// The stack's config is exactly the file's: a key an earlier run set and this one does not is removed.
	current, err := stack.GetAllConfig(ctx)
	if err != nil {
		return nil, err
	}
	for key := range current {
		name := key[strings.Index(key, ":")+1:]
		if _, ok := values[name]; !ok {
			if err := stack.RemoveConfig(ctx, name); err != nil {
				return nil, err
			}
		}
	}
	config := auto.ConfigMap{}
	for k, v := range values {
		config[k] = auto.ConfigValue{Value: v.Value, Secret: v.Secret}
	}
	if err := stack.SetAllConfig(ctx, config); err != nil {
		return nil, err
	}
	switch command {
	case "preview":
		res, err := stack.Preview(ctx)
		if err != nil {
			return nil, err
		}
		return map[string]interface{}{"changeSummary": res.ChangeSummary, "stdout": res.StdOut}, nil
	case "up":
		res, err := stack.Up(ctx)
		if err != nil {
			return nil, err
		}
		outputs := map[string]interface{}{}
		for k, v := range res.Outputs {
			if v.Secret {
				outputs[k] = "[secret]"
			} else {
				outputs[k] = v.Value
			}
		}
		return map[string]interface{}{"changes": res.Summary.ResourceChanges, "outputs": outputs, "stdout": res.StdOut}, nil
	case "destroy":
		res, err := stack.Destroy(ctx)
		if err != nil {
			return nil, err
		}
		return map[string]interface{}{"changes": res.Summary.ResourceChanges}, nil
	}
	return nil, fmt.Errorf("unknown command %s", command)
}
