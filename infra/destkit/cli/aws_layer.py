"""``destkit aws build-layer``: build the PyJWT + cryptography Lambda layer for arm64.

Only the Lambda authorizer of an external OAuth 2.0 issuer needs this layer. The command
downloads pinned arm64 wheels with ``pip download`` (network access to the package index is
needed once, on the user's machine) and packs them into a deterministic zip that the Pulumi
program picks up from the build directory.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

# Downloads the requirements into a directory; replaced in tests so nothing is downloaded.
Downloader = Callable[[Path, Path, str], None]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("aws", help="AWS-specific build steps")
    aws_commands = parser.add_subparsers(dest="aws_command", metavar="AWS_COMMAND", required=True)
    build = aws_commands.add_parser(
        "build-layer",
        help="download arm64 wheels of PyJWT and cryptography and build the Lambda layer zip",
    )
    build.add_argument(
        "--build-dir",
        type=Path,
        default=None,
        help="directory the Pulumi program reads build output from (default: .destkit/build)",
    )
    build.add_argument(
        "--python-version",
        default=None,
        help="Python version of the Lambda runtime, for example 3.13 (default: the kit's runtime)",
    )
    build.set_defaults(handler=run_build_layer)


def pip_download(requirements: Path, destination: Path, python_version: str) -> None:
    """Download arm64 wheels for ``requirements`` with pip; raises CalledProcessError on failure."""
    from destkit.aws import packaging

    command = [sys.executable, "-m", "pip", "download", "--only-binary=:all:", "--no-deps"]
    for platform in packaging.LAYER_PLATFORMS:
        command += ["--platform", platform]
    command += [
        "--implementation",
        "cp",
        "--python-version",
        python_version,
        "-r",
        str(requirements),
        "-d",
        str(destination),
    ]
    subprocess.run(command, check=True)  # noqa: S603 - fixed argument list, no shell


def build_layer(build_dir: Path, python_version: str, download: Downloader = pip_download) -> Path:
    """Write the pinned requirements file, download the wheels and build the layer zip."""
    from destkit.aws import packaging

    with tempfile.TemporaryDirectory(prefix="destkit-layer-") as work:
        work_dir = Path(work)
        requirements = work_dir / "requirements.txt"
        requirements.write_text("\n".join(packaging.LAYER_REQUIREMENTS) + "\n")
        wheel_dir = work_dir / "wheels"
        wheel_dir.mkdir()
        download(requirements, wheel_dir, python_version)
        wheels = sorted(wheel_dir.glob("*.whl"))
        return packaging.build_layer_archive(wheels, build_dir)


def run_build_layer(args: argparse.Namespace) -> int:
    # Imported here: destkit.aws loads the AWS provider SDK, which every other command can skip.
    from destkit.aws import defaults, packaging

    build_dir = args.build_dir or packaging.DEFAULT_BUILD_DIR
    python_version = args.python_version or defaults.LAMBDA_RUNTIME.removeprefix("python")
    try:
        path = build_layer(build_dir, python_version, pip_download)
    except subprocess.CalledProcessError as error:
        print(
            f"destkit: pip download failed with exit status {error.returncode}; see pip's output above",
            file=sys.stderr,
        )
        return 1
    print(f"layer written to {path}")
    return 0
