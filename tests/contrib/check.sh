#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The shipped integrations for tools that are not Debian packages (Filebeat,
# Fluent Bit, Vector, Wazuh, Sigma, Grafana, Elasticsearch) cannot run
# here, so they are held to what can be checked: each parses as its format,
# every alert field it names exists in the schema, and the Elasticsearch
# template is the one the schema generates.  rsyslog and syslog-ng run for
# real in tests/logs/; the Grafana dashboard's metric names are checked
# against the daemon's Prometheus output in tests/unit/test_commands.c.
set -uo pipefail
cd "$(dirname "$0")/../.."
C=user/contrib
exec python3 - "$C" user/dist/alert.schema.json <<'PY'
import json, re, subprocess, sys, uuid
import xml.etree.ElementTree as ET
import yaml

contrib, schema_path = sys.argv[1:]
schema = json.load(open(schema_path))
passed = failed = 0


def fields(node, prefix=""):
    """Every dotted field name the schema defines (leaves and objects)."""
    if "$ref" in node:
        node = schema["definitions"][node["$ref"].split("/")[-1]]
    out = set()
    for k, v in node.get("properties", {}).items():
        name = prefix + k
        out.add(name)
        out |= fields(v.get("items", v) if v.get("type") == "array" else v,
                      name + ".")
    return out


KNOWN = fields(schema)


def check(name, fn):
    global passed, failed
    try:
        fn()
        passed += 1
        print(f"ok {passed + failed} - {name}")
    except Exception as e:  # a failed check says why, then the next runs
        failed += 1
        print(f"not ok {passed + failed} - {name}\n#   {e}")


def known(names, where):
    bad = sorted(n for n in names if n not in KNOWN)
    assert not bad, f"{where} names fields the schema lacks: {bad}"


def yml(path):
    return yaml.safe_load(open(f"{contrib}/{path}"))


def filebeat():
    inputs = yml("filebeat/mxguard.yml")
    assert inputs[0]["type"] == "filestream"
    assert inputs[0]["paths"] == ["/var/log/mxguard/alerts.json"]
    assert "ndjson" in inputs[0]["parsers"][0]


def fluentbit():
    c = yml("fluent-bit/mxguard.yaml")
    assert c["pipeline"]["inputs"][0]["path"] == "/var/log/mxguard/alerts.json"
    assert c["parsers"][0]["time_key"] == "@timestamp"


def vector():
    c = yml("vector/mxguard.yaml")
    assert c["sources"]["mxguard_file"]["include"] == [
        "/var/log/mxguard/alerts.json"]
    assert c["transforms"]["mxguard_parse"]["inputs"] == ["mxguard_file"]


def sigma():
    r = yml("sigma/mxguard_lookalike_mail.yml")
    for k in ("title", "id", "status", "logsource", "detection", "level"):
        assert k in r, f"Sigma rule lacks {k}"
    uuid.UUID(r["id"])
    assert r["detection"]["condition"] in r["detection"] or \
        r["detection"]["condition"] == "selection"
    names = set(r["detection"]["selection"]) | set(r.get("fields", []))
    known(names, "the Sigma rule")
    actions = set(schema["properties"]["event"]["properties"]["action"]
                  ["enum"])
    assert set(r["detection"]["selection"]["event.action"]) <= actions


def wazuh():
    text = open(f"{contrib}/wazuh/mxguard_rules.xml").read()
    root = ET.fromstring(re.sub(r"<!--.*?-->", "", text, flags=re.S))
    ids = [r.get("id") for r in root.iter("rule")]
    assert len(ids) == len(set(ids)), "duplicate rule ids"
    names = {f.get("name") for f in root.iter("field")}
    names |= set(re.findall(r"\$\(([a-z_.@]+)\)", text))
    known(names, "the Wazuh rules")


def grafana():
    d = json.load(open(f"{contrib}/grafana/mxguard.json"))
    exprs = [t["expr"] for p in d["panels"] for t in p["targets"]]
    assert exprs and all(re.search(r"\bmxguard_[a-z_]+", e) for e in exprs)


def elastic():
    subprocess.run([sys.executable, f"{contrib}/elastic/gen_template.py",
                    "--check", schema_path,
                    f"{contrib}/elastic/mxguard-template.json"],
                   check=True, capture_output=True, text=True)


check("Filebeat input parses and reads the JSON file", filebeat)
check("Fluent Bit pipeline parses and reads the JSON file", fluentbit)
check("Vector pipeline parses and reads the JSON file", vector)
check("Sigma rule: required keys, uuid, fields and actions in the schema",
      sigma)
check("Wazuh rules: well-formed, unique ids, fields in the schema", wazuh)
check("Grafana dashboard parses, every panel queries mxguard_*", grafana)
check("Elasticsearch template is the one the schema generates", elastic)
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
