/**
 * The `multistage` package schema, generated from the TypeScript types with the TypeScript
 * compiler: `MultiStageImageArgs` gives the inputs, `MultiStageImage`'s Output properties the
 * outputs, their doc comments the descriptions. `npm run schema` writes `schema.json` (shipped
 * in the package, served by `pulumi-resource-multistage`); a unit test checks that it is current.
 *
 * Nothing is dropped silently: a type the schema cannot express (a callback) fails the
 * generation unless `CROSS_LANGUAGE` below says what other languages pass instead, and a
 * public property that is not an Output must be listed in `NOT_OUTPUTS` with the reason.
 */
import * as fs from "fs";
import * as path from "path";
import ts from "typescript";
import { COMPONENT_SPEC } from "../src/component/fields";
import { type FieldSpec, childSpecs } from "../src/plan";
import { FUNCTIONS } from "../src/provider/provider";

const ROOT = path.join(__dirname, "..");
const TOKEN = (name: string): string => `multistage:index:${name}`;

/** Members of a union that only TypeScript can pass, by property path, and what the schema says instead. */
const CROSS_LANGUAGE: Record<string, string> = {
  "MultiStageImageArgs.tagStrategy":
    "The TypeScript-only function form is not in the schema: from other languages, pass a list of templates (a tag each).",
};

/** Public properties of `MultiStageImage` that are not Outputs, and why they are not schema outputs. */
const NOT_OUTPUTS: Record<string, string> = {
  repository: "the created ECR repository resource (its URL is `repositoryUrl`)",
  images: "the back end's image resources (the image is `imageUri`)",
};

/** Outputs given as `pulumi.json#/Any` (JSON), with why. */
const ANY_OUTPUTS: Record<string, string> = {
  plan: "The build plan as JSON (its shape is `BuildPlan` in the TypeScript package).",
};

type Spec = Record<string, unknown>;

interface Property {
  spec: Spec;
  /** Whether the TypeScript type takes Pulumi Inputs (Outputs) here: otherwise `plain`. */
  input: boolean;
}

/**
 * Properties whose values are secrets (the SDKs mark them so), as `COMPONENT_SPEC` declares
 * them: `<TypeScript type>.<field>`, e.g. `RegistryArgs.password`.
 */
const SECRETS = secretFields(COMPONENT_SPEC);

/** `Type.field` of every field declared secret under `spec`. */
export function secretFields(spec: FieldSpec, found = new Set<string>()): Set<string> {
  if (spec.type === "object")
    for (const [field, f] of Object.entries(spec.fields)) if (f.secret) found.add(`${spec.name}.${field}`);
  for (const child of childSpecs(spec)) secretFields(child, found);
  return found;
}

export function generateSchema(options: { crossLanguage?: Record<string, string> } = {}): Spec {
  const crossLanguage = options.crossLanguage ?? CROSS_LANGUAGE;
  const config = ts.getParsedCommandLineOfConfigFile(
    path.join(ROOT, "tsconfig.json"),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
      },
    },
  );
  if (!config) throw new Error("cannot read tsconfig.json");
  const program = ts.createProgram([path.join(ROOT, "src", "index.ts")], config.options);
  const checker = program.getTypeChecker();
  const types: Record<string, Spec> = {};
  /** The TypeScript type behind each type token: two different ones must not share a token. */
  const sources = new Map<string, ts.Type>();
  /** Each TypeScript type's token once given (an indexed type, `A["b"]`, is the same type as `A.b`). */
  const tokens = new Map<ts.Type, string>();

  const declaration = (file: string, name: string): ts.Declaration => {
    const source = program.getSourceFile(path.join(ROOT, file));
    if (!source) throw new Error(`${file} is not in the program`);
    let found: ts.Declaration | undefined;
    source.forEachChild((node) => {
      if (
        (ts.isInterfaceDeclaration(node) || ts.isClassDeclaration(node) || ts.isFunctionDeclaration(node)) &&
        node.name?.text === name
      )
        found = node;
    });
    if (!found) throw new Error(`${name} is not declared in ${file}`);
    return found;
  };

  const description = (symbol: ts.Symbol): string => {
    // Paragraphs kept, the comment's line breaks inside them not.
    const text = ts
      .displayPartsToString(symbol.getDocumentationComment(checker))
      .trim()
      .replace(/([^\n])\n(?!\n)/g, "$1 ");
    const tags = symbol
      .getJsDocTags(checker)
      .filter((t) => t.name === "default" || t.name === "example")
      // A TypeScript function as an example means nothing in another language.
      .filter((t) => !/=>/.test(ts.displayPartsToString(t.text)))
      .map((t) => {
        const value = ts.displayPartsToString(t.text).trim();
        return t.name === "default" ? `Default: ${value}.` : `Example: \`${value.replace(/\s*\n\s*/g, " ")}\``;
      });
    return [text, ...tags].filter(Boolean).join("\n\n");
  };

  const isWrapper = (type: ts.Type): boolean => {
    const name = type.getSymbol()?.name;
    return name === "Promise" || name === "OutputInstance" || name === "Output";
  };

  const objectType = (type: ts.Type, where: string, hint: string): Spec => {
    const symbol = type.aliasSymbol ?? type.getSymbol();
    // Without the TypeScript `Args` suffix: the SDK generators add their own (Go's `RegistryArgs`,
    // Python's `RegistryArgs`), which would make `RegistryArgsArgs`.
    const declared = symbol && !symbol.name.startsWith("__") ? symbol.name : hint;
    const named = declared.replace(/Args$/, "");
    const known = tokens.get(type);
    if (known) return { $ref: `#/types/${known}` };
    const token = TOKEN(named);
    tokens.set(type, token);
    const seen = sources.get(token);
    if (seen && seen !== type)
      throw new Error(`${where}: two different types would both be ${token}; name one of them (an interface)`);
    sources.set(token, type);
    if (!types[token]) {
      types[token] = {}; // reserved: recursion ends here
      const properties: Record<string, Spec> = {};
      const required: string[] = [];
      for (const member of checker.getPropertiesOfType(type)) {
        const optional = (member.flags & ts.SymbolFlags.Optional) !== 0;
        const mapped = map(checker.getTypeOfSymbol(member), `${named}.${member.name}`, named + pascal(member.name));
        properties[member.name] = {
          ...mapped.spec,
          ...withDescription(description(member)),
          ...plainIf(mapped),
          ...(SECRETS.has(`${declared}.${member.name}`) ? { secret: true } : {}),
        };
        if (!optional) required.push(member.name);
      }
      types[token] = {
        type: "object",
        ...withDescription(symbol ? description(symbol) : ""),
        properties,
        ...(required.length ? { required } : {}),
      };
    }
    return { $ref: `#/types/${token}` };
  };

  const map = (type: ts.Type, where: string, hint: string): Property => {
    let input = false;
    let members = type.isUnion() ? type.types : [type];
    members = members.filter((m) => !(m.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Null | ts.TypeFlags.Void)));
    // Pulumi inputs: T | Promise<T> | Output<T>: the schema's non-plain T.
    const unwrapped: ts.Type[] = [];
    for (const m of members) {
      if (isWrapper(m)) {
        input = true;
        const [inner] = checker.getTypeArguments(m as ts.TypeReference);
        if (inner) unwrapped.push(...(inner.isUnion() ? inner.types : [inner]));
      } else unwrapped.push(m);
    }
    members = dedupe(unwrapped.filter((m) => !(m.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Null))));
    const functions = members.filter((m) => m.getCallSignatures().length > 0);
    if (functions.length) {
      if (!crossLanguage[where])
        throw new Error(
          `${where}: a function cannot cross languages; add a schema-friendly form and list it in CROSS_LANGUAGE`,
        );
      members = members.filter((m) => m.getCallSignatures().length === 0);
    }
    const booleans = members.filter((m) => m.flags & ts.TypeFlags.BooleanLiteral);
    const strings = members.filter((m) => m.flags & ts.TypeFlags.StringLiteral) as ts.StringLiteralType[];
    const others = members.filter((m) => !(m.flags & (ts.TypeFlags.BooleanLiteral | ts.TypeFlags.StringLiteral)));
    const alternatives: Spec[] = [];
    if (booleans.length) alternatives.push({ type: "boolean" });
    if (strings.length && !others.some((m) => m.flags & ts.TypeFlags.String)) alternatives.push({ type: "string" });
    for (const m of others) alternatives.push(single(m, where, hint, () => (input = true)));
    // A list among other forms (`"{env}-…"` or a list of templates; `true` or a list of names) is
    // declared as any value: Pulumi's Python SDK cannot send a list for a union-typed input
    // (pulumi/pulumi#17181: "Unexpected type. Expected 'list'"). Construct checks the form, by path.
    const spec: Spec =
      alternatives.length === 1
        ? alternatives[0]
        : alternatives.some((a) => a.type === "array")
          ? { $ref: "pulumi.json#/Any" }
          : { oneOf: alternatives.map((a) => stripDescription(a)) };
    if (strings.length) spec.__values = strings.map((s) => s.value);
    return { spec, input };
  };

  const single = (type: ts.Type, where: string, hint: string, nestedInput: () => void): Spec => {
    if (type.flags & ts.TypeFlags.String) return { type: "string" };
    if (type.flags & ts.TypeFlags.Number) return { type: "number" };
    if (type.flags & ts.TypeFlags.Boolean) return { type: "boolean" };
    if (checker.isArrayType(type) || checker.isTupleType(type)) {
      const [item] = checker.getTypeArguments(type as ts.TypeReference);
      const items = map(item, `${where}[]`, hint);
      if (items.input) nestedInput();
      // A list of string literals: said in the description, as a single one's are.
      const itemValues = items.spec.__values as string[] | undefined;
      return { type: "array", items: finish(items.spec), ...(itemValues ? { __itemValues: itemValues } : {}) };
    }
    const index = checker.getIndexInfosOfType(type).find((i) => i.keyType.flags & ts.TypeFlags.String);
    if (index && checker.getPropertiesOfType(type).length === 0) {
      const values = map(index.type, `${where}{}`, hint);
      if (values.input) nestedInput();
      return { type: "object", additionalProperties: finish(values.spec) };
    }
    if (type.flags & ts.TypeFlags.Object) return objectType(type, where, hint);
    // Free-form JSON (a probe, a security context): any value.
    if (type.flags & (ts.TypeFlags.Unknown | ts.TypeFlags.Any)) return { $ref: "pulumi.json#/Any" };
    throw new Error(`${where}: the schema cannot express ${checker.typeToString(type)}`);
  };

  /** A property's spec with string-literal values turned into text for the description. */
  const finish = (spec: Spec): Spec => {
    const { __values, __itemValues, ...rest } = spec;
    void __values;
    void __itemValues;
    return rest;
  };
  const withValues = (spec: Spec, text: string): Spec => ({
    ...finish(spec),
    ...withDescription([text, valuesNote(spec)].filter(Boolean).join(" ")),
  });
  const plainIf = (p: Property): Spec => (p.input ? {} : { plain: true });

  type Pick = (member: ts.Symbol, type: ts.Type) => { type: ts.Type; input: boolean } | undefined;
  const properties = (
    file: string,
    name: string,
    pick: Pick,
  ): { properties: Record<string, Spec>; required: string[] } => {
    const decl = declaration(file, name);
    const symbol = checker.getSymbolAtLocation((decl as ts.InterfaceDeclaration).name);
    if (!symbol) throw new Error(`no symbol for ${name}`);
    return propertiesOf(checker.getDeclaredTypeOfSymbol(symbol), name, pick);
  };
  const typeName = (type: ts.Type): string => (type.aliasSymbol ?? type.getSymbol())?.name ?? "Anonymous";
  function propertiesOf(
    type: ts.Type,
    name: string,
    pick: Pick,
  ): { properties: Record<string, Spec>; required: string[] } {
    const result: Record<string, Spec> = {};
    const required: string[] = [];
    for (const member of checker.getPropertiesOfType(type)) {
      const picked = pick(member, checker.getTypeOfSymbol(member));
      if (!picked) continue;
      const mapped = map(picked.type, `${name}.${member.name}`, name.replace(/Args$/, "") + pascal(member.name));
      result[member.name] = withValues(
        {
          ...mapped.spec,
          ...(mapped.input || picked.input ? {} : { plain: true }),
          ...(SECRETS.has(`${name}.${member.name}`) ? { secret: true } : {}),
        },
        [description(member), crossLanguage[`${name}.${member.name}`] ?? ""].filter(Boolean).join(" "),
      );
      const mayBeUndefined = (picked.type.isUnion() ? picked.type.types : [picked.type]).some(
        (t) => t.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Void),
      );
      if (!(member.flags & ts.SymbolFlags.Optional) && !mayBeUndefined) required.push(member.name);
    }
    return { properties: result, required };
  }

  const inputs = properties("src/component/args.ts", "MultiStageImageArgs", (_m, type) => ({ type, input: false }));
  const outputs = properties("src/component/multistage-image.ts", "MultiStageImage", (member, type) => {
    const declared = member.valueDeclaration;
    if (!declared || !ts.isPropertyDeclaration(declared)) return undefined; // methods and the like
    const modifiers = ts.getCombinedModifierFlags(declared);
    if (modifiers & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) return undefined;
    if (declared.parent.name?.text !== "MultiStageImage") return undefined; // Resource's own (urn)
    // pulumi.Output<T> is OutputInstance<T> & Lifted<T>.
    // (Lifted<T> of a union is a union, so an Output of one is a union of intersections.)
    const parts = (type.isUnion() ? type.types : [type]).flatMap((t) => (t.isIntersection() ? t.types : [t]));
    const output = parts.find((t) => t.getSymbol()?.name === "OutputInstance");
    if (!output) {
      if (!NOT_OUTPUTS[member.name])
        throw new Error(`MultiStageImage.${member.name} is not an Output: list it in NOT_OUTPUTS with the reason`);
      return undefined;
    }
    if (ANY_OUTPUTS[member.name]) return undefined; // added below
    return { type: checker.getTypeArguments(output as ts.TypeReference)[0], input: true };
  });
  for (const [name, text] of Object.entries(ANY_OUTPUTS))
    outputs.properties[name] = { $ref: "pulumi.json#/Any", description: text };
  // Outputs are not `plain` (a component's outputs are Outputs); those whose type has no
  // `undefined` (all but rebuildReason and size) are always set: required.
  for (const spec of Object.values(outputs.properties)) delete spec.plain;

  // The consumer helpers the provider serves as functions (FUNCTIONS), from their signatures:
  // the pinned image's URI and the options (the second parameter) in, what the Output holds out.
  const functions: Record<string, Spec> = {};
  const consumers = program.getSourceFile(path.join(ROOT, "src", "consumers", "index.ts"));
  const exported = consumers ? checker.getExportsOfModule(checker.getSymbolAtLocation(consumers)!) : [];
  for (const name of Object.keys(FUNCTIONS)) {
    const symbol = exported.find((e) => e.name === name);
    const resolved = symbol && symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    const [signature] = resolved ? checker.getTypeOfSymbol(resolved).getCallSignatures() : [];
    if (!resolved || !signature) throw new Error(`FUNCTIONS.${name} is not a function exported by src/consumers`);
    const optionsType = checker.getTypeOfSymbol(signature.getParameters()[1]);
    const returned = signature.getReturnType();
    const output = (returned.isUnion() ? returned.types : [returned])
      .flatMap((t) => (t.isIntersection() ? t.types : [t]))
      .find((t) => t.getSymbol()?.name === "OutputInstance");
    if (!output) throw new Error(`${name} does not return an Output`);
    const resultType = checker.getTypeArguments(output as ts.TypeReference)[0];
    // The result first: the types the options share with it take its names.
    const result = propertiesOf(resultType, typeName(resultType), (_m, type) => ({ type, input: true }));
    const options = propertiesOf(optionsType, typeName(optionsType), (_m, type) => ({ type, input: true }));
    functions[TOKEN(name)] = {
      description: description(resolved),
      inputs: {
        properties: {
          imageUri: {
            type: "string",
            description: "The digest-pinned image (`<repository>@sha256:…`): a MultiStageImage's `imageUri`.",
          },
          ...options.properties,
        },
        required: ["imageUri", ...options.required],
      },
      outputs: { properties: result.properties, required: result.required },
    };
  }

  const component = declaration("src/component/multistage-image.ts", "MultiStageImage");
  const componentSymbol = checker.getSymbolAtLocation((component as ts.ClassDeclaration).name!);
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
    description: string;
    license: string;
    keywords: string[];
  };
  return {
    name: "multistage",
    displayName: "Multi-stage image",
    description: pkg.description,
    license: pkg.license,
    keywords: ["pulumi", ...pkg.keywords.filter((k) => k !== "pulumi"), "kind/component", "category/utility"],
    publisher: "pulumi-multistage-image",
    meta: { moduleFormat: "(.*)" },
    language: {
      nodejs: { packageName: "pulumi-multistage-image", respectSchemaVersion: true },
      python: { packageName: "pulumi_multistage", respectSchemaVersion: true, pyproject: { enabled: true } },
      go: {
        importBasePath: "github.com/pulumi-multistage-image/pulumi-multistage-image/sdk/go/multistage",
        generateResourceContainerTypes: true,
        respectSchemaVersion: true,
      },
      csharp: { rootNamespace: "PulumiMultistage", respectSchemaVersion: true },
    },
    resources: {
      [TOKEN("MultiStageImage")]: {
        isComponent: true,
        description: componentSymbol ? description(componentSymbol) || componentDoc() : componentDoc(),
        inputProperties: inputs.properties,
        requiredInputs: inputs.required,
        properties: outputs.properties,
        required: [...outputs.required, ...Object.keys(ANY_OUTPUTS)].sort(),
      },
    },
    functions,
    types: sortKeys(Object.fromEntries(Object.entries(types).map(([k, v]) => [k, cleanType(v)]))),
  };
}

function componentDoc(): string {
  return "One multi-stage Dockerfile, the right target per environment, built with BuildKit, pushed to a registry (Amazon ECR by default) and exported pinned by digest.";
}

/** A type's properties with their string-literal values folded into their descriptions. */
function cleanType(spec: Spec): Spec {
  const properties = spec.properties as Record<string, Spec> | undefined;
  if (!properties) return spec;
  return {
    ...spec,
    properties: Object.fromEntries(
      Object.entries(properties).map(([name, p]) => {
        const note = valuesNote(p);
        const { __values, __itemValues, ...rest } = p;
        void __values;
        void __itemValues;
        if (!note) return [name, rest];
        return [name, { ...rest, description: [rest.description, note].filter(Boolean).join(" ") }];
      }),
    ),
  };
}

/** A property's allowed string values as its description says them: `One of …` (a list's items: `Each one of …`). */
function valuesNote(spec: Spec): string {
  const quote = (values: string[]): string => values.map((v) => `\`"${v}"\``).join(", ");
  if (spec.__values) return `One of ${quote(spec.__values as string[])}.`;
  if (spec.__itemValues) return `Each one of ${quote(spec.__itemValues as string[])}.`;
  return "";
}

function withDescription(text: string): Spec {
  return text ? { description: text } : {};
}

function stripDescription(spec: Spec): Spec {
  const { description, __values, ...rest } = spec;
  void description;
  void __values;
  return rest;
}

function dedupe(types: ts.Type[]): ts.Type[] {
  return [...new Set(types)];
}

function pascal(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

function sortKeys<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}

/** The schema as `schema.json` holds it. */
export function schemaText(): string {
  return `${JSON.stringify(generateSchema(), null, 2)}\n`;
}

if (require.main === module) {
  const out = path.join(ROOT, "schema.json");
  fs.writeFileSync(out, schemaText());
  process.stdout.write(`wrote ${path.relative(process.cwd(), out)}\n`);
}
