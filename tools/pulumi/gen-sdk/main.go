// Command gen-sdk writes the Go and Python SDKs of a Pulumi package schema with Pulumi's own
// generators (pkg/v3 codegen/go and codegen/python), the code `pulumi package gen-sdk` runs
// through each language's host: those hosts cannot be built on this project's machine, these
// packages can. Usage: gen-sdk <schema.json> <out dir>  (writes <out>/go and <out>/python).
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/blang/semver"
	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	pygen "github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

const tool = "pulumi-multistage-image gen-sdk"

// noReferences is the loader of a schema that refers to no other package: any lookup fails.
type noReferences struct{}

func (noReferences) LoadPackage(pkg string, _ *semver.Version) (*schema.Package, error) {
	return nil, fmt.Errorf("the schema refers to package %q; it should refer to none", pkg)
}

func (noReferences) LoadPackageV2(_ context.Context, d *schema.PackageDescriptor) (*schema.Package, error) {
	return nil, fmt.Errorf("the schema refers to package %q; it should refer to none", d.Name)
}

func (noReferences) LoadPackageReference(pkg string, _ *semver.Version) (schema.PackageReference, error) {
	return nil, fmt.Errorf("the schema refers to package %q; it should refer to none", pkg)
}

func (noReferences) LoadPackageReferenceV2(
	_ context.Context, d *schema.PackageDescriptor,
) (schema.PackageReference, error) {
	return nil, fmt.Errorf("the schema refers to package %q; it should refer to none", d.Name)
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: gen-sdk <schema.json> <out dir>")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintf(os.Stderr, "gen-sdk: %v\n", err)
		os.Exit(1)
	}
}

func run(schemaPath, out string) error {
	raw, err := os.ReadFile(schemaPath)
	if err != nil {
		return err
	}
	var spec schema.PackageSpec
	if err := json.Unmarshal(raw, &spec); err != nil {
		return fmt.Errorf("%s: %w", schemaPath, err)
	}
	// Each generator binds the schema afresh: it records its own language's settings on the package.
	bind := func() (*schema.Package, error) {
		pkg, diags, err := schema.BindSpec(spec, noReferences{}, schema.ValidationOptions{})
		if err != nil {
			return nil, err
		}
		if diags.HasErrors() {
			return nil, fmt.Errorf("the schema does not bind: %s", diags.Error())
		}
		return pkg, nil
	}
	generators := map[string]func(*schema.Package) (map[string][]byte, error){
		"go": func(pkg *schema.Package) (map[string][]byte, error) {
			return gogen.GeneratePackage(tool, pkg, nil)
		},
		"python": func(pkg *schema.Package) (map[string][]byte, error) {
			return pygen.GeneratePackage(tool, pkg, nil, noReferences{})
		},
	}
	for _, language := range []string{"go", "python"} {
		pkg, err := bind()
		if err != nil {
			return err
		}
		files, err := generators[language](pkg)
		if err != nil {
			return fmt.Errorf("%s SDK: %w", language, err)
		}
		for name, content := range files {
			path := filepath.Join(out, language, name)
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(path, content, 0o644); err != nil {
				return err
			}
		}
		fmt.Printf("%s: %d files in %s\n", language, len(files), filepath.Join(out, language))
	}
	return nil
}
