"""Every input value a case file lists, sent from Python through the generated SDK under Pulumi's
mocks: `python types_probe.py <cases.json>`, each case `{"property": <schema name>, "value": <JSON>}`.
Prints `RESULT <json>`: per case, the value the SDK sent for that property, or the SDK's error
(a list sent for a union-typed input crashed here: pulumi/pulumi#17181)."""

import json
import re
import sys
from typing import Any

import pulumi

sent: dict[str, Any] = {}


class Mocks(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        sent[args.name] = args.inputs
        return (f"{args.name}-id", {})

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        return {}


pulumi.runtime.set_mocks(Mocks(), preview=False)

import pulumi_multistage as multistage  # noqa: E402  (after the mocks, as Pulumi's docs do)

with open(sys.argv[1], encoding="utf8") as f:
    cases: list[dict[str, Any]] = json.load(f)


def snake(name: str) -> str:
    return re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), name)


@pulumi.runtime.test
def probe() -> pulumi.Output[None]:
    urns = []
    errors: dict[str, str] = {}
    for i, case in enumerate(cases):
        kwargs = {"context": "/app", snake(case["property"]): case["value"]}
        try:
            urns.append(multistage.MultiStageImage(f"case{i}", **kwargs).urn)
        except Exception as err:  # the SDK refused to send it
            errors[f"case{i}"] = f"{type(err).__name__}: {err}"

    def report(_: Any) -> None:
        result = []
        for i, case in enumerate(cases):
            name = f"case{i}"
            if name in errors:
                result.append({"error": errors[name]})
            else:
                result.append({"sent": sent.get(name, {}).get(case["property"])})
        print("RESULT " + json.dumps(result))

    return pulumi.Output.all(*urns).apply(report)


probe()
