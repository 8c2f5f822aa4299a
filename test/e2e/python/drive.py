"""Runs program.py (or the module MULTISTAGE_PY_PROGRAM names) as an inline Automation API program: `python drive.py <preview|up|destroy>
<stack> <work dir> <config.json>`. The environment is the workspace's (PULUMI_*, PATH with the
package's plugin). Prints one line `RESULT <json>` last."""

import importlib
import json
import os
import sys

from pulumi import automation as auto

# The program's module: program.py, or another (MULTISTAGE_PY_PROGRAM) such as the README's example.
program = importlib.import_module(os.environ.get("MULTISTAGE_PY_PROGRAM", "program")).program


def main() -> int:
    command, stack_name, work_dir, config_file = sys.argv[1:5]
    stack = auto.create_or_select_stack(
        stack_name=stack_name,
        project_name="python-service",
        program=program,
        opts=auto.LocalWorkspaceOptions(work_dir=work_dir),
    )
    with open(config_file, encoding="utf8") as f:
        config = json.load(f)
    # The stack's config is exactly the file's: a key an earlier run set and this one does not is removed.
    stale = [k for k in stack.get_all_config() if k.split(":", 1)[-1] not in config]
    if stale:
        stack.remove_all_config(stale)
    stack.set_all_config({k: auto.ConfigValue(value=v["value"], secret=v.get("secret", False)) for k, v in config.items()})
    try:
        if command == "preview":
            preview = stack.preview()
            result = {"changeSummary": preview.change_summary, "stdout": preview.stdout}
        elif command == "up":
            up = stack.up()
            result = {
                "changes": up.summary.resource_changes,
                "outputs": {k: ("[secret]" if v.secret else v.value) for k, v in up.outputs.items()},
                "stdout": up.stdout,
            }
        elif command == "destroy":
            destroyed = stack.destroy()
            result = {"changes": destroyed.summary.resource_changes}
        else:
            raise ValueError(f"unknown command {command}")
    except auto.CommandError as err:
        print("RESULT " + json.dumps({"error": str(err)}))
        return 1
    print("RESULT " + json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
