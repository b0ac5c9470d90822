#!/usr/bin/env python3
"""Validates Kubernetes manifests the way an API server with the Prometheus Operator's CRDs
would, plus the cross-references that most often break monitoring:

  * ServiceMonitor and PrometheusRule documents against the CRDs' openAPIV3Schema
    (types, required fields, enums) and, stricter than a server, with no unknown fields;
  * every document has apiVersion, kind and metadata.name;
  * a Deployment's selector matches its pod template's labels; container ports are named;
  * a Service selects the pods of a Deployment in its namespace, and its ports are named;
  * a ServiceMonitor carries a `k8s-app` label, its selector matches a Service's labels
    (not the pods'), its namespaceSelector covers that Service's namespace, and each
    endpoint names one of that Service's ports;
  * with --rules FILE, a PrometheusRule's groups equal the rule file's groups.

Usage: validate.py --crds DIR [--rules FILE] MANIFEST...  (DIR holds the CRD YAML files)
Needs PyYAML and jsonschema (Debian: python3-yaml python3-jsonschema).
"""

import argparse
import glob
import os
import sys

import jsonschema
import yaml


def load_schemas(crd_paths):
    schemas = {}
    for path in crd_paths:
        with open(path) as f:
            for crd in yaml.safe_load_all(f):
                if not crd or crd.get("kind") != "CustomResourceDefinition":
                    continue
                group = crd["spec"]["group"]
                kind = crd["spec"]["names"]["kind"]
                for version in crd["spec"]["versions"]:
                    schemas[(f"{group}/{version['name']}", kind)] = version["schema"]["openAPIV3Schema"]
    return schemas


def unknown_fields(value, schema, path):
    """Fields the schema does not declare (a server would prune them silently)."""
    errors = []
    if isinstance(value, dict) and "properties" in schema:
        open_ended = schema.get("x-kubernetes-preserve-unknown-fields") or schema.get("additionalProperties")
        for key, item in value.items():
            if key in schema["properties"]:
                errors += unknown_fields(item, schema["properties"][key], f"{path}.{key}")
            elif not open_ended:
                errors.append(f"{path}.{key}: unknown field")
    elif isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            errors += unknown_fields(item, schema["items"], f"{path}[{i}]")
    return errors


def matches(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def validate(documents, schemas, rules_groups):
    errors = []
    by_kind = {}
    for doc in documents:
        name = f"{doc.get('kind', '?')}/{doc.get('metadata', {}).get('name', '?')}"
        for field in ("apiVersion", "kind"):
            if field not in doc:
                errors.append(f"{name}: missing {field}")
        if "name" not in doc.get("metadata", {}):
            errors.append(f"{name}: missing metadata.name")
        by_kind.setdefault(doc.get("kind"), []).append(doc)
        schema = schemas.get((doc.get("apiVersion"), doc.get("kind")))
        if schema is not None:
            for error in jsonschema.Draft4Validator(schema).iter_errors(doc):
                where = ".".join(str(p) for p in error.absolute_path) or "(root)"
                errors.append(f"{name}: {where}: {error.message}")
            errors += [f"{name}: {e}" for e in unknown_fields(doc, schema, "")]
        elif doc.get("apiVersion", "").startswith("monitoring.coreos.com/"):
            errors.append(f"{name}: no CRD schema for {doc.get('apiVersion')} {doc.get('kind')}")

    def ns(doc):
        return doc.get("metadata", {}).get("namespace", "default")

    deployments = by_kind.get("Deployment", [])
    for d in deployments:
        name = f"Deployment/{d['metadata']['name']}"
        template = d["spec"]["template"]
        if not matches(d["spec"].get("selector", {}).get("matchLabels"), template["metadata"].get("labels", {})):
            errors.append(f"{name}: selector does not match the pod template's labels")
        for c in template["spec"]["containers"]:
            for p in c.get("ports", []):
                if "name" not in p:
                    errors.append(f"{name}: container {c['name']} port {p.get('containerPort')} has no name")

    services = by_kind.get("Service", [])
    for s in services:
        name = f"Service/{s['metadata']['name']}"
        if not any(ns(d) == ns(s) and matches(s["spec"].get("selector"), d["spec"]["template"]["metadata"].get("labels", {}))
                   for d in deployments):
            errors.append(f"{name}: selects no Deployment's pods")
        for p in s["spec"].get("ports", []):
            if "name" not in p:
                errors.append(f"{name}: port {p.get('port')} has no name (a ServiceMonitor cannot refer to it)")

    for m in by_kind.get("ServiceMonitor", []):
        name = f"ServiceMonitor/{m['metadata']['name']}"
        if "k8s-app" not in m["metadata"].get("labels", {}):
            errors.append(f"{name}: no k8s-app label")
        spec = m.get("spec", {})
        namespaces = spec.get("namespaceSelector", {})
        selected = [s for s in services
                    if matches(spec.get("selector", {}).get("matchLabels"), s["metadata"].get("labels", {}))
                    and (namespaces.get("any") or ns(s) in namespaces.get("matchNames", [ns(m)]))]
        if not selected:
            errors.append(f"{name}: selector and namespaceSelector match no Service's labels")
        for e in spec.get("endpoints", []):
            for s in selected:
                port_names = [p.get("name") for p in s["spec"].get("ports", [])]
                if e.get("port") not in port_names:
                    errors.append(f"{name}: endpoint port {e.get('port')!r} is not a port name of Service/{s['metadata']['name']} {port_names}")
            for field in ("interval", "path"):
                if field not in e:
                    errors.append(f"{name}: endpoint without {field}")

    if rules_groups is not None:
        for r in by_kind.get("PrometheusRule", []):
            if r.get("spec", {}).get("groups") != rules_groups:
                errors.append(f"PrometheusRule/{r['metadata']['name']}: groups differ from the rule file")
    return errors


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--crds", required=True, help="directory of CRD YAML files")
    parser.add_argument("--rules", help="Prometheus rule file the PrometheusRule must equal")
    parser.add_argument("manifests", nargs="+")
    args = parser.parse_args()
    schemas = load_schemas(sorted(glob.glob(os.path.join(args.crds, "*.yaml"))))
    documents = []
    for path in args.manifests:
        with open(path) as f:
            documents += [d for d in yaml.safe_load_all(f) if d]
    rules_groups = None
    if args.rules:
        with open(args.rules) as f:
            rules_groups = yaml.safe_load(f)["groups"]
    errors = validate(documents, schemas, rules_groups)
    for error in errors:
        print(error)
    if errors:
        sys.exit(1)
    kinds = sorted({d["kind"] for d in documents})
    print(f"OK: {len(documents)} documents ({', '.join(kinds)})")


if __name__ == "__main__":
    main()
