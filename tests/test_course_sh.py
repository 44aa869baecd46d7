"""course.sh picks the torch build by itself: `./course.sh print-torch-command` runs the same
selection as set-up and prints the pip command, here under a fake PATH (uname, nvidia-smi) and
fake pip find-links folders, so every branch runs on any machine."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CPU = "--index-url https://download.pytorch.org/whl/cpu"


def _torch_command(tmp_path, system="Linux", gpu=False, wheel=None, **env):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "uname").write_text(f"#!/bin/sh\necho {system}\n")
    (bin_dir / "uname").chmod(0o755)
    if gpu:
        (bin_dir / "nvidia-smi").write_text("#!/bin/sh\nexit 0\n")
        (bin_dir / "nvidia-smi").chmod(0o755)
    if not (bin_dir / "dirname").exists():
        (bin_dir / "dirname").symlink_to(shutil.which("dirname"))
    wheels = tmp_path / "wheels"
    wheels.mkdir(exist_ok=True)
    if wheel:
        (wheels / wheel).write_bytes(b"")
    full_env = {"PATH": str(bin_dir), "HOME": str(tmp_path), "PYTHON": sys.executable,
                "PIP_CONFIG_FILE": os.devnull, "PIP_FIND_LINKS": str(wheels), **env}
    result = subprocess.run([shutil.which("bash"), str(ROOT / "course.sh"), "print-torch-command"],
                            capture_output=True, text=True, env=full_env, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip(), result.stderr


@pytest.mark.skipif(not shutil.which("bash") or not shutil.which("dirname"), reason="needs bash and dirname")
class TestTorchChoice:
    def test_linux_without_an_nvidia_gpu_gets_the_cpu_build(self, tmp_path):
        command, why = _torch_command(tmp_path)
        assert command == f"python -m pip install {CPU} torch==2.13.0"
        assert "no NVIDIA GPU" in why

    def test_linux_with_an_nvidia_gpu_gets_pypis_cuda_build(self, tmp_path):
        command, why = _torch_command(tmp_path, gpu=True)
        assert command == "python -m pip install torch==2.13.0" and "nvidia-smi" in why

    def test_macos_gets_pypis_build(self, tmp_path):
        command, why = _torch_command(tmp_path, system="Darwin")
        assert command == "python -m pip install torch==2.13.0" and "macOS" in why

    def test_a_local_wheel_of_the_pinned_version_is_used_as_it_is(self, tmp_path):
        wheel = "torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl"
        command, why = _torch_command(tmp_path, wheel=wheel)
        assert command == "python -m pip install torch==2.13.0" and wheel in why

    def test_a_wheel_of_another_version_does_not_count(self, tmp_path):
        command, _ = _torch_command(tmp_path, wheel="torch-2.12.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl")
        assert command == f"python -m pip install {CPU} torch==2.13.0"

    def test_torch_spec_and_torch_pip_args_are_honoured(self, tmp_path):
        command, _ = _torch_command(tmp_path, TORCH_SPEC="torch>=2.4")
        assert command == f"python -m pip install {CPU} torch>=2.4"
        command, why = _torch_command(tmp_path, TORCH_PIP_ARGS="--index-url https://example.org/simple")
        assert command == "python -m pip install --index-url https://example.org/simple torch==2.13.0"
        assert "TORCH_PIP_ARGS" in why
