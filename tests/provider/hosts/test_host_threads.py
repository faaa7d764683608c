"""The stock dynamic-provider host, loading one of our providers, serves every waiting create at once.

The host is started as the engine starts it (`python -m pulumi.dynamic`, port on stdout) and
called over gRPC as the engine calls it: twelve creates at once, each waiting for all twelve.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import pytest
from pulumi.dynamic import ResourceProvider
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import proto, rpc
from pulumi.runtime.proto import provider_pb2_grpc

from components.provider.host_threads import stock_host_can_widen
from tests.provider.hosts.waiting_providers import TOGETHER, WaitingAsset, WaitingPlain

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def host() -> Iterator[provider_pb2_grpc.ResourceProviderStub]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, "-u", "-m", "pulumi.dynamic"], cwd=ROOT, env=env, stdout=subprocess.PIPE)
    try:
        port = int(process.stdout.readline())
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield provider_pb2_grpc.ResourceProviderStub(channel)
    finally:
        process.kill()
        process.wait()


def _create(stub: provider_pb2_grpc.ResourceProviderStub, provider: ResourceProvider, index: int) -> str:
    props = {"__provider": serialize_provider(provider), "name": f"asset-{index}"}
    properties = asyncio.run(rpc.serialize_properties(props, {}))
    urn = f"urn:pulumi:test::project::pulumi-python:dynamic:Resource::asset-{index}"
    try:
        return stub.Create(proto.CreateRequest(urn=urn, properties=properties), timeout=60).id
    except grpc.RpcError as err:
        return f"failed: {err.details().strip().splitlines()[-1]}"


def _create_together(stub: provider_pb2_grpc.ResourceProviderStub, provider: ResourceProvider) -> list[str]:
    with ThreadPoolExecutor(TOGETHER) as calls:
        return list(calls.map(lambda index: _create(stub, provider, index), range(TOGETHER)))


def test_the_installed_host_is_one_the_provider_widens() -> None:
    assert stock_host_can_widen()


def test_our_provider_makes_the_host_serve_every_create_at_once(host: provider_pb2_grpc.ResourceProviderStub) -> None:
    assert _create_together(host, WaitingAsset()) == [f"asset-{index}" for index in range(TOGETHER)]


def test_a_host_left_as_shipped_serves_four_at_once(host: provider_pb2_grpc.ResourceProviderStub) -> None:
    """What the widening is for: the same creates through a plain provider never all wait together."""
    results = _create_together(host, WaitingPlain())
    assert all("BrokenBarrierError" in result for result in results), results
