#!/usr/bin/python3
"""Validate mxguard alert lines against user/dist/alert.schema.json.

usage: validate_alerts.py SCHEMA FILE   (exit 0: every line valid)
Debian's python3-jsonschema; formats (ipv4/ipv6) are checked too.
"""
import json
import sys

import jsonschema


def main():
    schema = json.load(open(sys.argv[1]))
    validator = jsonschema.Draft7Validator(
        schema, format_checker=jsonschema.FormatChecker())
    n = 0
    for lineno, line in enumerate(open(sys.argv[2]), 1):
        if not line.strip():
            continue
        doc = json.loads(line)
        errors = sorted(validator.iter_errors(doc), key=str)
        for e in errors:
            print(f"{sys.argv[2]}:{lineno}: {'/'.join(map(str, e.path))}: "
                  f"{e.message}", file=sys.stderr)
        if errors:
            return 1
        n += 1
    if n == 0:
        print(f"{sys.argv[2]}: no alerts to validate", file=sys.stderr)
        return 1
    print(f"{n} alerts valid")
    return 0


if __name__ == "__main__":
    sys.exit(main())
