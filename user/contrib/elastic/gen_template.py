#!/usr/bin/python3
"""Generate the Elasticsearch index template from the alert schema.

The schema (user/dist/alert.schema.json) is the one description of the
fields; the mapping is derived from it, so the two cannot drift.
tests/contrib/check.sh runs this with --check against the committed
mxguard-template.json.

  gen_template.py SCHEMA OUT      write the template
  gen_template.py --check SCHEMA OUT   fail if OUT is not what SCHEMA gives
"""
import json
import sys

# Free text is searched as words; everything else is matched exactly.
TEXT_FIELDS = {"message", "rule.description"}


def resolve(schema, node):
    ref = node.get("$ref")
    if ref:
        for part in ref.lstrip("#/").split("/"):
            schema = schema[part]
        return {**schema, **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def mapping_of(schema, node, path):
    node = resolve(schema, node)
    if node.get("type") == "object" or "properties" in node:
        return {"properties": {
            k: mapping_of(schema, v, path + [k])
            for k, v in node.get("properties", {}).items()}}
    if node.get("type") == "array":
        return mapping_of(schema, node.get("items", {}), path)
    name = ".".join(path)
    if name == "@timestamp":
        return {"type": "date"}
    if name in TEXT_FIELDS:
        return {"type": "match_only_text"}
    formats = [a.get("format") for a in node.get("anyOf", [])]
    if node.get("format") in ("ipv4", "ipv6") or "ipv4" in formats:
        return {"type": "ip"}
    kind = node.get("type")
    values = node.get("enum", []) + ([node["const"]] if "const" in node else [])
    if kind == "integer" or (values and all(isinstance(v, int)
                                             and not isinstance(v, bool)
                                             for v in values)):
        return {"type": "long"}
    if kind == "boolean":
        return {"type": "boolean"}
    return {"type": "keyword", "ignore_above": 1024}


def template(schema):
    return {
        "index_patterns": ["logs-mxguard.alerts-*", "mxguard-*"],
        "priority": 200,
        "_meta": {"generated_from": "user/dist/alert.schema.json",
                  "ecs_version": schema["properties"]["ecs"]["properties"]
                  ["version"]["const"]},
        "template": {"mappings": {"dynamic": False,
                                  **mapping_of(schema, schema, [])}},
    }


def main(argv):
    check = argv[1:2] == ["--check"]
    args = argv[2:] if check else argv[1:]
    if len(args) != 2:
        sys.exit(__doc__)
    schema = json.load(open(args[0]))
    text = json.dumps(template(schema), indent=2, sort_keys=True) + "\n"
    if check:
        if open(args[1]).read() != text:
            sys.exit(f"{args[1]} is behind {args[0]}: run "
                     f"{argv[0]} {args[0]} {args[1]}")
        return
    open(args[1], "w").write(text)


if __name__ == "__main__":
    main(sys.argv)
