#!/usr/bin/env python3
"""Prints the Lambda concurrency a stack of infra/template.yaml reserves, with the given
parameters (defaults from the template otherwise), and what the account's quota must be:

  python3 infra/scripts/reserved-concurrency.py [--template T] [Key=Value ...]
  reserved=55 unreserved=100 needed=155

reserved = the sum of every function's ReservedConcurrentExecutions (a number, or !Ref of a
parameter); AWS keeps 100 of the account's concurrency unreserved, so the account's quota
(AccountLimit.ConcurrentExecutions) must be >= reserved + 100 or the deploy fails on the
first function that cannot reserve its share. infra/scripts/deploy.sh stops before deploying
when it is lower; tests/tests/api/template_prod.rs checks this number against its own.
"""
import argparse
import sys

import yaml

UNRESERVED = 100  # AWS keeps this much of the account's concurrency unreserved


class Loader(yaml.SafeLoader):
    pass


def _tagged(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    return {name: value}


Loader.add_multi_constructor("!", _tagged)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--template", default="infra/template.yaml")
    p.add_argument("params", nargs="*", help="Key=Value (as sam deploy --parameter-overrides)")
    a = p.parse_args()
    t = yaml.load(open(a.template), Loader=Loader)
    params = {k: v.get("Default") for k, v in (t.get("Parameters") or {}).items()}
    for kv in a.params:
        if "=" not in kv:
            sys.exit(f"reserved-concurrency.py: {kv!r} is not Key=Value")
        k, v = kv.split("=", 1)
        if k not in params:
            sys.exit(f"reserved-concurrency.py: the template has no parameter {k}")
        params[k] = v
    reserved = 0
    for rid, r in (t.get("Resources") or {}).items():
        if r.get("Type") not in ("AWS::Serverless::Function", "AWS::Lambda::Function"):
            continue
        v = (r.get("Properties") or {}).get("ReservedConcurrentExecutions")
        if v is None:
            continue
        if isinstance(v, dict) and list(v) == ["Ref"]:
            name = v["Ref"]
            if params.get(name) in (None, ""):
                sys.exit(f"reserved-concurrency.py: {rid} reserves !Ref {name}, which has no value")
            v = params[name]
        elif isinstance(v, dict):
            sys.exit(f"reserved-concurrency.py: {rid}: ReservedConcurrentExecutions {v} not understood")
        reserved += int(v)
    print(f"reserved={reserved} unreserved={UNRESERVED} needed={reserved + UNRESERVED}")


main()
