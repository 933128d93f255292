"""Checks a Cairn OpenLineage export against the OpenLineage event classes.

Usage: python validate.py EXPORT.json [FACETS_SCHEMA.json]

EXPORT.json is the result of `provenance_exportOpenLineage` (a list of run events). Every event
is loaded into the event classes of the `openlineage-python` package (generated from the
OpenLineage spec; their validators check run ids, times and URIs), standard facets into their
generated facet classes and Cairn's custom facets into facet classes declared here. Each event
serialized back by the package must equal the export (nulls and empty objects aside), so
nothing was dropped or unknown. Custom facets are also validated against Cairn's JSON Schema
(docs/openlineage/cairn-facets.json), and the runs must make a lineage: one START and one
COMPLETE each, every model input the output of an earlier run. Prints one line per check and
exits non-zero on the first failure.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import attr
import jsonschema
import referencing
from openlineage.client import event_v2 as ol
from openlineage.client.generated import (
    base,
    dataset_version_dataset,
    job_type_job,
    ownership_dataset,
)
from openlineage.client.serde import Serde

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_NAME = "docs/openlineage/cairn-facets.json"


def custom_facet(base: type, name: str, fields: dict[str, Any]) -> type:
    """An attrs facet class `name` extending `base` with `fields` (all keyword, optional)."""
    attributes = {key: attr.field(default=None, kw_only=True) for key in fields}
    cls = attr.make_class(name, attributes, bases=(base,))
    schema_url = FACETS_URL + "#/$defs/" + name
    cls._get_schema = staticmethod(lambda: schema_url)
    return cls


def load_facet(cls: type, data: dict[str, Any]) -> Any:
    """`data` as an instance of facet class `cls`, with its producer."""
    fields = {k: v for k, v in data.items() if not k.startswith("_")}
    facet = cls(**fields, producer=data["_producer"])
    if facet._schemaURL != data["_schemaURL"]:
        raise ValueError(f"{cls.__name__}: _schemaURL {data['_schemaURL']} is not {facet._schemaURL}")
    return facet


def standard(cls: type, data: dict[str, Any], **fields: Any) -> Any:
    facet = cls(**fields, producer=data["_producer"])
    if facet._schemaURL != data["_schemaURL"]:
        raise ValueError(f"{cls.__name__}: _schemaURL {data['_schemaURL']} is not {facet._schemaURL}")
    return facet


def dataset_facets(data: dict[str, Any]) -> dict[str, Any]:
    facets: dict[str, Any] = {}
    for key, value in data.items():
        if key == "version":
            facets[key] = standard(
                dataset_version_dataset.DatasetVersionDatasetFacet, value, datasetVersion=value["datasetVersion"]
            )
        elif key == "ownership":
            owners = [ownership_dataset.Owner(name=o["name"], type=o.get("type")) for o in value["owners"]]
            facets[key] = standard(ownership_dataset.OwnershipDatasetFacet, value, owners=owners)
        elif key in CUSTOM_DATASET:
            facets[key] = load_facet(CUSTOM_DATASET[key], value)
        else:
            raise ValueError(f"unknown dataset facet {key}")
    return facets


def input_facets(data: dict[str, Any]) -> dict[str, Any]:
    return {key: load_facet(CUSTOM_INPUT[key], value) for key, value in data.items()}


def load_event(data: dict[str, Any]) -> ol.RunEvent:
    run_facets = {k: load_facet(CUSTOM_RUN[k], v) for k, v in data["run"].get("facets", {}).items()}
    job_facets = {}
    for key, value in data["job"].get("facets", {}).items():
        if key != "jobType":
            raise ValueError(f"unknown job facet {key}")
        job_facets[key] = standard(
            job_type_job.JobTypeJobFacet,
            value,
            processingType=value["processingType"],
            integration=value["integration"],
            jobType=value.get("jobType"),
        )
    event = ol.RunEvent(
        eventType=ol.RunState(data["eventType"]),
        eventTime=data["eventTime"],
        producer=data["producer"],
        run=ol.Run(runId=data["run"]["runId"], facets=run_facets),
        job=ol.Job(namespace=data["job"]["namespace"], name=data["job"]["name"], facets=job_facets),
        inputs=[
            ol.InputDataset(
                namespace=i["namespace"],
                name=i["name"],
                facets=dataset_facets(i.get("facets", {})),
                inputFacets=input_facets(i.get("inputFacets", {})),
            )
            for i in data.get("inputs", [])
        ],
        outputs=[
            ol.OutputDataset(namespace=o["namespace"], name=o["name"], facets=dataset_facets(o.get("facets", {})))
            for o in data.get("outputs", [])
        ],
    )
    if event.schemaURL != data["schemaURL"]:
        raise ValueError(f"schemaURL {data['schemaURL']} is not the package's {event.schemaURL}")
    return event


def without_nulls(value: Any) -> Any:
    """`value` without nulls and empty objects (the package omits the one, adds the other)."""
    if isinstance(value, dict):
        kept = {k: without_nulls(v) for k, v in value.items() if v is not None}
        return {k: v for k, v in kept.items() if v != {}}
    if isinstance(value, list):
        return [without_nulls(v) for v in value]
    return value


# The OpenLineage base facets the custom facets extend, as the spec defines their fields.
BASE_FACET = {
    "type": "object",
    "properties": {
        "_producer": {"type": "string", "format": "uri"},
        "_schemaURL": {"type": "string", "format": "uri"},
    },
    "required": ["_producer", "_schemaURL"],
}
DATASET_FACET = {
    "allOf": [BASE_FACET],
    "properties": {"_deleted": {"type": "boolean"}},
}
OPENLINEAGE_BASES: dict[str, Any] = {
    "$defs": {
        "RunFacet": BASE_FACET,
        "JobFacet": BASE_FACET,
        "DatasetFacet": DATASET_FACET,
        "InputDatasetFacet": BASE_FACET,
        "OutputDatasetFacet": BASE_FACET,
    }
}


def main() -> int:
    export_path = Path(sys.argv[1])
    schema_path = Path(sys.argv[2]) if len(sys.argv) > 2 else ROOT / SCHEMA_NAME
    events = json.loads(export_path.read_text())
    schema = json.loads(schema_path.read_text())
    global FACETS_URL, CUSTOM_DATASET, CUSTOM_INPUT, CUSTOM_RUN
    FACETS_URL = schema["$id"]
    props = lambda name: schema["$defs"][name]["allOf"][1]["properties"]  # noqa: E731
    CUSTOM_DATASET = {
        "cairn_model": custom_facet(base.DatasetFacet, "CairnModelDatasetFacet", props("CairnModelDatasetFacet")),
        "cairn_dataset": custom_facet(base.DatasetFacet, "CairnDatasetDatasetFacet", props("CairnDatasetDatasetFacet")),
    }
    CUSTOM_INPUT = {
        "cairn_license": custom_facet(
            base.InputDatasetFacet, "CairnLicenseInputDatasetFacet", props("CairnLicenseInputDatasetFacet")
        ),
        "cairn_lineageEdge": custom_facet(
            base.InputDatasetFacet, "CairnLineageEdgeInputDatasetFacet", props("CairnLineageEdgeInputDatasetFacet")
        ),
    }
    CUSTOM_RUN = {
        "cairn_registration": custom_facet(
            base.RunFacet, "CairnRegistrationRunFacet", props("CairnRegistrationRunFacet")
        ),
    }
    registry = referencing.Registry().with_resources(
        [
            ("https://openlineage.io/spec/2-0-2/OpenLineage.json", referencing.Resource.from_contents(
                OPENLINEAGE_BASES, default_specification=referencing.jsonschema.DRAFT202012)),
            (FACETS_URL, referencing.Resource.from_contents(schema)),
        ]
    )

    if not isinstance(events, list) or not events:
        print("FAIL: the export is not a non-empty list of events")
        return 1
    outputs_so_far: set[str] = set()
    runs: dict[str, list[str]] = {}
    custom = 0
    for index, data in enumerate(events):
        event = load_event(data)
        round_trip = Serde.to_dict(event)
        if without_nulls(round_trip) != without_nulls(data):
            print(f"FAIL: event {index} does not survive the OpenLineage classes")
            print(json.dumps(round_trip, indent=1, sort_keys=True))
            print(json.dumps(without_nulls(data), indent=1, sort_keys=True))
            return 1
        # Every custom facet against its JSON Schema.
        facet_lists = [data["run"].get("facets", {})]
        for dataset in data.get("inputs", []) + data.get("outputs", []):
            facet_lists += [dataset.get("facets", {}), dataset.get("inputFacets", {})]
        for facets in facet_lists:
            for key, facet in facets.items():
                if not key.startswith("cairn_"):
                    continue
                name = facet["_schemaURL"].split("#/$defs/")[1]
                validator = jsonschema.Draft202012Validator(
                    {"$ref": f"{FACETS_URL}#/$defs/{name}"}, registry=registry
                )
                validator.validate(facet)
                custom += 1
        # The runs make a lineage.
        runs.setdefault(event.run.runId, []).append(data["eventType"])
        for dataset in data.get("inputs", []):
            if dataset["name"].startswith("model/") and dataset["name"] not in outputs_so_far:
                print(f"FAIL: event {index} reads {dataset['name']} before a run made it")
                return 1
        if data["eventType"] == "COMPLETE":
            outputs_so_far.update(o["name"] for o in data.get("outputs", []))
    for run, kinds in runs.items():
        if kinds != ["START", "COMPLETE"]:
            print(f"FAIL: run {run} has events {kinds}, not START then COMPLETE")
            return 1
    print(f"ok: {len(events)} events of {len(runs)} runs load into openlineage-python "
          f"{__import__('importlib.metadata').metadata.version('openlineage-python')} and round-trip; "
          f"{custom} custom facets match {schema_path.name}")
    return 0


FACETS_URL = ""
CUSTOM_DATASET: dict[str, type] = {}
CUSTOM_INPUT: dict[str, type] = {}
CUSTOM_RUN: dict[str, type] = {}

if __name__ == "__main__":
    sys.exit(main())
