"""Draw a planned stack as a Mermaid flowchart: components, resources and the data flow from AEP.

Each component becomes a subgraph. Resources on the data path get a node of their own: gateways,
functions, token issuers, SFTP servers, and the stores named by the ``sink``, ``s3_bucket``,
``gcs_bucket`` and ``blob_containers`` outputs. The other resources of a component are listed with
a count per type in one node, so a stack of a hundred resources still fits on a page.
The flow edges come from the plan itself: AEP reaches every gateway, a gateway reaches the
functions of its component, and a function writes to a store when its inputs name that store.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from destkit.plan.engine import PlanResult
from destkit.plan.model import PlannedResource

# Resources that receive AEP's HTTPS requests.
GATEWAY_TYPES = frozenset(
    {
        "aws:apigateway/restApi:RestApi",
        "aws:apigatewayv2/api:Api",
        "azure-native:apimanagement:ApiManagementService",
        "gcp:apigateway/gateway:Gateway",
    }
)
# Code that runs behind a gateway: the intake, the authorizer, the token issuer, the audience API.
FUNCTION_TYPES = frozenset(
    {
        "aws:lambda/function:Function",
        "azure-native:web:WebApp",
        "gcp:cloudrunv2/service:Service",
        "gcp:cloudfunctionsv2/function:Function",
    }
)
# Managed OAuth 2.0 token issuers that AEP calls with client credentials.
ISSUER_TYPES = frozenset({"aws:cognito/userPoolDomain:UserPoolDomain"})
# Servers that AEP's SFTP destination connects to.
SFTP_TYPES = frozenset({"aws:transfer/server:Server", "gcp:compute/instance:Instance"})
# Object stores, matched by physical name (bucket or container) against the outputs that name a store.
STORE_TYPES = frozenset(
    {
        "aws:s3/bucket:Bucket",
        "azure-native:storage:BlobContainer",
        "gcp:storage/bucket:Bucket",
    }
)
# Azure's SFTP endpoint is a storage account, named by the first label of the sftp_host output.
SFTP_ACCOUNT_TYPE = "azure-native:storage:StorageAccount"
# Resources that send object-created events to the partner's ingestion.
NOTIFICATION_TYPES = frozenset(
    {
        "aws:s3/bucketNotification:BucketNotification",
        "azure-native:eventgrid:SystemTopic",
        "gcp:storage/notification:Notification",
    }
)
# Stack outputs that carry the physical name of a batch drop zone.
DROP_ZONE_OUTPUTS = ("s3_bucket", "gcs_bucket", "blob_containers", "adls_urls")

AEP_NODE = "aep"
INGESTION_NODE = "ingestion"


@dataclass
class _Node:
    node_id: str
    label_lines: tuple[str, ...]


@dataclass
class _Group:
    """One component subgraph (or the stack itself) and what is drawn inside it."""

    group_id: str
    title: str
    nodes: list[_Node] = field(default_factory=list)
    children: list[_Group] = field(default_factory=list)


@dataclass
class _Flow:
    """The data-path resources of a plan and the node id each one is drawn as."""

    node_ids: dict[str, str] = field(default_factory=dict)
    top_component: dict[str, str] = field(default_factory=dict)
    """URN of each resource's outermost component; empty for resources directly under the stack."""
    gateways: list[PlannedResource] = field(default_factory=list)
    functions: list[PlannedResource] = field(default_factory=list)
    issuers: list[PlannedResource] = field(default_factory=list)
    sftp_servers: list[PlannedResource] = field(default_factory=list)
    sinks: list[PlannedResource] = field(default_factory=list)
    drop_zones: list[PlannedResource] = field(default_factory=list)


def render_mermaid(result: PlanResult) -> str:
    """Render ``result`` as a Mermaid ``flowchart`` document (no Markdown fence)."""
    # Children of different components register concurrently, so the plan's order varies from run
    # to run. Sorting by URN keeps the diagram stable, and with it the committed docs.
    result = dataclasses.replace(result, resources=sorted(result.resources, key=lambda r: r.urn))
    flow = _find_flow(result)
    groups = _build_groups(result, flow)

    lines = ["flowchart LR", f'  {AEP_NODE}(["Adobe Experience Platform"])']
    for group in groups:
        lines.extend(_render_group(group, indent="  "))
    lines.extend(_render_edges(result, flow))
    return "\n".join(lines) + "\n"


def _find_flow(result: PlanResult) -> _Flow:
    flow = _Flow()
    resources = [resource for resource in result.resources if resource.custom]
    flow.gateways = [r for r in resources if r.type in GATEWAY_TYPES]
    flow.functions = [r for r in resources if r.type in FUNCTION_TYPES]
    flow.issuers = [r for r in resources if r.type in ISSUER_TYPES]
    sftp_host = result.outputs.get("sftp_host")
    sftp_account = sftp_host.split(".")[0] if isinstance(sftp_host, str) else None
    flow.sftp_servers = [
        r
        for r in resources
        if r.type in SFTP_TYPES or (r.type == SFTP_ACCOUNT_TYPE and _physical_name(r) == sftp_account)
    ]

    stores = [r for r in resources if r.type in STORE_TYPES]
    flow.sinks = _stores_named(stores, _output_names(result.outputs.get("sink")))
    drop_zone_names: set[str] = set()
    for output in DROP_ZONE_OUTPUTS:
        drop_zone_names |= _output_names(result.outputs.get(output))
    flow.drop_zones = _stores_named(stores, drop_zone_names)

    on_path = [
        *flow.gateways,
        *flow.functions,
        *flow.issuers,
        *flow.sftp_servers,
        *flow.sinks,
        *flow.drop_zones,
    ]
    for index, resource in enumerate(_unique(on_path), start=1):
        flow.node_ids[resource.urn] = f"r{index}"
    flow.top_component = _top_components(result.resources)
    return flow


def _top_components(resources: list[PlannedResource]) -> dict[str, str]:
    parents = {resource.urn: resource.parent for resource in resources}
    top: dict[str, str] = {}
    for resource in resources:
        ancestor = ""
        current = resource.parent
        while current in parents:
            ancestor = current
            current = parents[current]
        top[resource.urn] = ancestor
    return top


def _output_names(value: Any) -> set[str]:
    """Return the store names an output carries, from a name, a map or list of names, or URLs.

    ``account/container`` yields both parts, and ``abfss://filesystem@account...`` the file system.
    """
    names: set[str] = set()
    for text in _strings(value):
        names.add(text)
        if text.startswith("abfss://"):
            names.add(text.removeprefix("abfss://").split("@")[0])
        elif "://" not in text:
            names.update(part for part in text.split("/") if part)
    return names


def _physical_name(resource: PlannedResource) -> str | None:
    for key in ("bucket", "containerName", "name"):
        value = resource.outputs.get(key) or resource.inputs.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def _stores_named(stores: Iterable[PlannedResource], names: set[str]) -> list[PlannedResource]:
    return [store for store in stores if _physical_name(store) in names]


def _unique(resources: Iterable[PlannedResource]) -> Iterator[PlannedResource]:
    seen: set[str] = set()
    for resource in resources:
        if resource.urn not in seen:
            seen.add(resource.urn)
            yield resource


def _build_groups(result: PlanResult, flow: _Flow) -> list[_Group]:
    """Nest one group per component, with the stack's own resources in a group of their own."""
    by_urn = {resource.urn: resource for resource in result.resources}
    groups: dict[str, _Group] = {}
    counter = 0
    for resource in result.resources:
        if resource.component:
            counter += 1
            groups[resource.urn] = _Group(f"c{counter}", f"{_short_type(resource.type)}: {resource.name}")
    stack_group = _Group("c0", f"stack {result.project}-{result.stack}")

    loose: dict[str, list[PlannedResource]] = {}
    for resource in result.resources:
        parent = resource.parent if resource.parent in by_urn else None
        if resource.component:
            if parent in groups:
                groups[parent].children.append(groups[resource.urn])
            continue
        key = parent or ""
        node_id = flow.node_ids.get(resource.urn)
        if node_id is not None:
            container = groups.get(key, stack_group)
            container.nodes.append(_Node(node_id, (_short_type(resource.type), resource.name)))
        else:
            loose.setdefault(key, []).append(resource)

    for index, (key, resources) in enumerate(loose.items(), start=1):
        container = groups.get(key, stack_group)
        counts = Counter(sorted(resource.type for resource in resources))
        label = tuple(
            _short_type(type_token) + (f" ×{count}" if count > 1 else "")
            for type_token, count in counts.items()
        )
        container.nodes.append(_Node(f"t{index}", label))

    top_level = [group for urn, group in groups.items() if by_urn[urn].parent not in groups]
    if stack_group.nodes:
        return [stack_group, *top_level]
    return top_level


def _short_type(type_token: str) -> str:
    """Shorten ``aws:s3/bucket:Bucket`` to ``s3.Bucket`` and ``destkit:aws:Sink`` to ``aws.Sink``."""
    parts = type_token.split(":")
    if len(parts) != 3:
        return type_token
    package, module, kind = parts
    module = module.split("/")[0]
    if module == "index":
        module = package
    return f"{module}.{kind}"


def _render_group(group: _Group, indent: str) -> list[str]:
    lines = [f'{indent}subgraph {group.group_id}["{_escape(group.title)}"]']
    for node in group.nodes:
        label = "<br/>".join(_escape(line) for line in node.label_lines)
        lines.append(f'{indent}  {node.node_id}["{label}"]')
    for child in group.children:
        lines.extend(_render_group(child, indent + "  "))
    lines.append(f"{indent}end")
    return lines


def _render_edges(result: PlanResult, flow: _Flow) -> list[str]:
    node = flow.node_ids
    auth = result.outputs.get("auth_type")
    request_label = f"HTTPS POST, {auth}" if isinstance(auth, str) else "HTTPS POST"
    lines: list[str] = []

    for issuer in flow.issuers:
        lines.append(f'  {AEP_NODE} -->|"token request"| {node[issuer.urn]}')
    for gateway in flow.gateways:
        lines.append(f'  {AEP_NODE} -->|"{request_label}"| {node[gateway.urn]}')
        for function in flow.functions:
            if flow.top_component[gateway.urn] == flow.top_component[function.urn]:
                lines.append(f"  {node[gateway.urn]} --> {node[function.urn]}")
    for function in flow.functions:
        for sink in flow.sinks:
            if _names_store(function, sink):
                lines.append(f'  {node[function.urn]} -->|"one object per request"| {node[sink.urn]}')
    for zone in flow.drop_zones:
        lines.append(f'  {AEP_NODE} -->|"batch files"| {node[zone.urn]}')
    for server in flow.sftp_servers:
        lines.append(f'  {AEP_NODE} -->|"SFTP batch files"| {node[server.urn]}')

    candidates = _unique([*flow.sinks, *flow.drop_zones, *flow.sftp_servers])
    notified = [store for store in candidates if _has_notification(result, store)]
    if notified:
        lines.append(f'  {INGESTION_NODE}(["your ingestion"])')
    for store in notified:
        lines.append(f'  {node[store.urn]} -.->|"object-created events"| {INGESTION_NODE}')
    return lines


def _names_store(resource: PlannedResource, store: PlannedResource) -> bool:
    name = _physical_name(store)
    return name is not None and name in _strings(resource.inputs)


def _strings(value: Any) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return set().union(*(_strings(item) for item in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_strings(item) for item in value)) if value else set()
    return set()


def _has_notification(result: PlanResult, store: PlannedResource) -> bool:
    """Tell whether a notification resource names the store, or its storage account by name or id."""
    candidates = (_physical_name(store), store.inputs.get("accountName"))
    names = {name for name in candidates if isinstance(name, str)}
    for resource in result.resources:
        if resource.type not in NOTIFICATION_TYPES:
            continue
        for text in _strings(resource.inputs):
            if text in names or any(text.endswith("/" + name) for name in names):
                return True
    return False


def _escape(text: str) -> str:
    """Escape the characters that end a quoted Mermaid label or open HTML."""
    return text.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


# -- docs/architecture.md -------------------------------------------------------------------------


def render_architecture_markdown(project_dir: Path | None = None, stacks: Sequence[str] | None = None) -> str:
    """Plan ``stacks`` (default: every stack of the project) offline and render ``docs/architecture.md``."""
    from destkit.plan.engine import find_project, plan_stack

    project = find_project(project_dir)
    lines = [
        "# Architecture",
        "",
        "Generated by `python -m destkit.docs --architecture`, which plans every stack under `stacks/`",
        "offline; a test fails when this page is stale. `destkit plan --stack NAME --diagram FILE` draws the",
        "same diagram for any stack.",
        "",
        "Each box is a component; resources on the data path have a node of their own, the others are",
        "counted per type. Arrows show how data moves: AEP's HTTPS requests through the gateway and",
        "functions into the sink, AEP's batch files into the drop zones, and object-created events from",
        "the stores to your ingestion.",
    ]
    stacks = list(stacks) if stacks is not None else project.stacks()
    if not stacks:
        lines.extend(["", "The project has no stack files under `stacks/` yet."])
    for stack in stacks:
        result = plan_stack(stack, project.root, evaluate_compliance=False)
        components = sum(1 for resource in result.resources if resource.component)
        lines.extend(
            [
                "",
                f"## `{stack}`",
                "",
                f"Cloud: {result.cloud or 'unknown'}; {len(result.resources) - components} resources in "
                f"{components} components.",
                "",
                "```mermaid",
                render_mermaid(result).rstrip("\n"),
                "```",
            ]
        )
    return "\n".join(lines) + "\n"
