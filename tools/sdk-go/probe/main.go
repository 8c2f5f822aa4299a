//go:build probe

// Every input value a case file lists, sent from Go through the generated SDK under Pulumi's
// mocks: `go run -tags probe ./probe <cases.json>`, each case `{"property": <schema name>,
// "value": <JSON>}`. A value is built with the SDK's own types as a user writes them
// (multistage.EnvironmentMap{"dev": multistage.EnvironmentArgs{Target: pulumi.String(…)}}):
// each field's Go type says which, and an input interface takes the first type of `candidates`
// (candidates.go, written by the package test from the generated package) that implements it.
// Prints `RESULT <json>`: per case, what the SDK sent for that property (a secret in Pulumi's
// wire form), or the error that stopped it.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strings"
	"sync"

	"github.com/pulumi-multistage-image/pulumi-multistage-image/sdk/go/multistage"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

type testCase struct {
	Property string          `json:"property"`
	Value    json.RawMessage `json:"value"`
}

type result struct {
	Sent  json.RawMessage `json:"sent,omitempty"`
	Error string          `json:"error,omitempty"`
}

// The types a user constructs inputs with: the Pulumi SDK's own, then the package's (candidates.go).
var pulumiCandidates = []any{
	pulumi.String(""), pulumi.Bool(false), pulumi.Int(0), pulumi.Float64(0),
	pulumi.StringArray{}, pulumi.BoolArray{}, pulumi.IntArray{}, pulumi.Float64Array{},
	pulumi.StringMap{}, pulumi.BoolMap{}, pulumi.IntMap{}, pulumi.Float64Map{},
	pulumi.StringArrayMap{}, pulumi.StringMapArray{}, pulumi.StringMapMap{}, pulumi.StringArrayArray{},
	pulumi.Array{}, pulumi.Map{},
}

var inputType = reflect.TypeOf((*pulumi.Input)(nil)).Elem()

// kindOf is the JSON kind a Go type is built from.
func kindOf(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "object"
	case reflect.Slice:
		return "array"
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "bool"
	case reflect.Int, reflect.Float64:
		return "number"
	}
	return ""
}

func jsonKind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case bool:
		return "bool"
	case float64:
		return "number"
	}
	return ""
}

// build makes a value of type t from a JSON value, as a user writes it with the SDK's types.
func build(t reflect.Type, v any, where string) (reflect.Value, error) {
	if v == nil {
		return reflect.Zero(t), nil
	}
	switch t.Kind() {
	case reflect.Interface:
		if t.NumMethod() == 0 || t == inputType {
			return reflect.ValueOf(v), nil // interface{}: the value as decoded (what a union takes)
		}
		for _, c := range candidates() {
			ct := reflect.TypeOf(c)
			if ct.Implements(t) && kindOf(ct) == jsonKind(v) {
				built, err := build(ct, v, where)
				if err != nil {
					return built, err
				}
				return built.Convert(t), nil
			}
		}
		return reflect.Value{}, fmt.Errorf("%s: no type of the SDK takes a %s for %s", where, jsonKind(v), t)
	case reflect.Ptr:
		elem, err := build(t.Elem(), v, where)
		if err != nil {
			return elem, err
		}
		p := reflect.New(t.Elem())
		p.Elem().Set(elem)
		return p, nil
	case reflect.Slice:
		items, ok := v.([]any)
		if !ok {
			return reflect.Value{}, fmt.Errorf("%s: a list was expected for %s", where, t)
		}
		s := reflect.MakeSlice(t, len(items), len(items))
		for i, item := range items {
			built, err := build(t.Elem(), item, fmt.Sprintf("%s[%d]", where, i))
			if err != nil {
				return built, err
			}
			s.Index(i).Set(built)
		}
		return s, nil
	case reflect.Map:
		entries, ok := v.(map[string]any)
		if !ok {
			return reflect.Value{}, fmt.Errorf("%s: an object was expected for %s", where, t)
		}
		m := reflect.MakeMapWithSize(t, len(entries))
		for k, item := range entries {
			built, err := build(t.Elem(), item, where+"."+k)
			if err != nil {
				return built, err
			}
			m.SetMapIndex(reflect.ValueOf(k).Convert(t.Key()), built)
		}
		return m, nil
	case reflect.Struct:
		entries, ok := v.(map[string]any)
		if !ok {
			return reflect.Value{}, fmt.Errorf("%s: an object was expected for %s", where, t)
		}
		s := reflect.New(t).Elem()
		for name, item := range entries {
			field, ok := fieldOf(t, name)
			if !ok {
				return reflect.Value{}, fmt.Errorf("%s.%s: %s has no field for it", where, name, t)
			}
			built, err := build(field.Type, item, where+"."+name)
			if err != nil {
				return built, err
			}
			s.FieldByIndex(field.Index).Set(built)
		}
		return s, nil
	case reflect.Float64:
		return reflect.ValueOf(v).Convert(t), nil
	case reflect.Int:
		n, ok := v.(float64)
		if !ok || n != float64(int(n)) {
			return reflect.Value{}, fmt.Errorf("%s: an integer was expected for %s", where, t)
		}
		return reflect.ValueOf(int(n)).Convert(t), nil
	case reflect.String, reflect.Bool:
		if reflect.TypeOf(v).Kind() != t.Kind() {
			return reflect.Value{}, fmt.Errorf("%s: a %s was expected for %s", where, t.Kind(), t)
		}
		return reflect.ValueOf(v).Convert(t), nil
	}
	return reflect.Value{}, fmt.Errorf("%s: cannot build a %s", where, t)
}

// fieldOf finds a struct's field for a schema property: by its `pulumi` tag (the types' Args), or
// by its name (the resource's Args, whose fields the generator leaves untagged: gitSha is GitSha).
func fieldOf(t reflect.Type, property string) (reflect.StructField, bool) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if tag := strings.Split(f.Tag.Get("pulumi"), ",")[0]; tag == property {
			return f, true
		}
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Tag.Get("pulumi") == "" && strings.EqualFold(f.Name, property) {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

type mocks struct {
	mu   sync.Mutex
	sent map[string]resource.PropertyMap
}

func (m *mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent[args.Name] = args.Inputs
	return args.Name + "-id", resource.PropertyMap{}, nil
}

func (m *mocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return resource.PropertyMap{}, nil
}

// wire is a value as it crosses to the provider: a secret in Pulumi's wire form (its signature beside it).
func wire(v resource.PropertyValue) any {
	switch {
	case v.IsSecret():
		return map[string]any{resource.SigKey: resource.SecretSig, "value": wire(v.SecretValue().Element)}
	case v.IsOutput():
		return wire(v.OutputValue().Element)
	case v.IsObject():
		m := map[string]any{}
		for k, e := range v.ObjectValue() {
			m[string(k)] = wire(e)
		}
		return m
	case v.IsArray():
		items := []any{}
		for _, e := range v.ArrayValue() {
			items = append(items, wire(e))
		}
		return items
	case v.IsComputed():
		return "<unknown>"
	case v.IsNull():
		return nil
	}
	return v.V
}

func main() {
	text, err := os.ReadFile(os.Args[1])
	if err != nil {
		panic(err)
	}
	var cases []testCase
	if err := json.Unmarshal(text, &cases); err != nil {
		panic(err)
	}
	m := &mocks{sent: map[string]resource.PropertyMap{}}
	errors := map[int]string{}
	argsType := reflect.TypeOf(multistage.MultiStageImageArgs{})
	err = pulumi.RunErr(func(ctx *pulumi.Context) error {
		for i, c := range cases {
			var value any
			if err := json.Unmarshal(c.Value, &value); err != nil {
				return err
			}
			args, err := build(argsType, map[string]any{"context": "/app", c.Property: value}, "args")
			if err != nil {
				errors[i] = err.Error()
				continue
			}
			a := args.Interface().(multistage.MultiStageImageArgs)
			if _, err := multistage.NewMultiStageImage(ctx, fmt.Sprintf("case%d", i), &a); err != nil {
				errors[i] = err.Error()
			}
		}
		return nil
	}, pulumi.WithMocks("probe", "dev", m))
	if err != nil {
		panic(err)
	}
	results := make([]result, len(cases))
	for i, c := range cases {
		if e, ok := errors[i]; ok {
			results[i] = result{Error: e}
			continue
		}
		sent, err := json.Marshal(wire(m.sent[fmt.Sprintf("case%d", i)][resource.PropertyKey(c.Property)]))
		if err != nil {
			results[i] = result{Error: err.Error()}
			continue
		}
		results[i] = result{Sent: sent}
	}
	out, err := json.Marshal(results)
	if err != nil {
		panic(err)
	}
	fmt.Println("RESULT " + string(out))
}
