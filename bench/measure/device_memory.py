"""What the driver says a process holds on the GPU: the "device" level of vramfit.

torch's counters see only its caching allocator. The driver's figure (what nvidia-smi shows) adds the
CUDA context, cuBLAS/cuDNN handles and anything allocated outside PyTorch (docs/research/memory-model.md §1).
NVML reports the current figure only, so callers sample it: at the end of each phase and from a
background thread (`PeakSampler`).

Order of preference: NVML through pynvml (package nvidia-ml-py), then `nvidia-smi
--query-compute-apps`. If the process's own pid is not listed (a container with its own pid
namespace), fall back to the whole device's used memory minus the baseline the runner took before
starting this process, and say so in `method`.
"""
from __future__ import annotations

import os
import subprocess
import threading

MIB = 1 << 20


class DeviceMemory:
    def __init__(self, index: int = 0, baseline_used: int | None = None):
        self.index = index
        self.baseline_used = baseline_used
        self.pid = os.getpid()
        self.method = None
        self._nvml = None
        self._handle = None
        try:
            import pynvml  # nvidia-ml-py

            pynvml.nvmlInit()
            self._nvml = pynvml
            self._handle = pynvml.nvmlDeviceGetHandleByIndex(index)
        except Exception:
            self._nvml = None

    def process_bytes(self) -> int | None:
        """Bytes the driver attributes to this process now, or None when it cannot tell."""
        if self._nvml is not None:
            try:
                procs = self._nvml.nvmlDeviceGetComputeRunningProcesses(self._handle)
                for p in procs:
                    if p.pid == self.pid and p.usedGpuMemory is not None:
                        self.method = "nvml-process"
                        return int(p.usedGpuMemory)
                used = int(self._nvml.nvmlDeviceGetMemoryInfo(self._handle).used)
                if self.baseline_used is not None:
                    self.method = "nvml-device-used-minus-baseline"
                    return used - self.baseline_used
            except Exception:
                pass
        used = _smi_process_bytes(self.pid)
        if used is not None:
            self.method = "nvidia-smi-process"
            return used
        total_used = device_used_bytes(self.index)
        if total_used is not None and self.baseline_used is not None:
            self.method = "nvidia-smi-device-used-minus-baseline"
            return total_used - self.baseline_used
        return None


def device_used_bytes(index: int = 0) -> int | None:
    """Used memory of the whole device (all processes), for the runner's baseline."""
    try:
        import pynvml

        pynvml.nvmlInit()
        return int(pynvml.nvmlDeviceGetMemoryInfo(pynvml.nvmlDeviceGetHandleByIndex(index)).used)
    except Exception:
        pass
    out = _smi(["--query-gpu=memory.used", "--format=csv,noheader,nounits", f"--id={index}"])
    if out:
        try:
            return int(float(out.strip().splitlines()[0])) * MIB
        except ValueError:
            return None
    return None


def _smi(args: list[str]) -> str | None:
    try:
        r = subprocess.run(["nvidia-smi", *args], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return r.stdout if r.returncode == 0 else None


def _smi_process_bytes(pid: int) -> int | None:
    out = _smi(["--query-compute-apps=pid,used_memory", "--format=csv,noheader,nounits"])
    if not out:
        return None
    for line in out.splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) == 2 and parts[0] == str(pid):
            try:
                return int(float(parts[1])) * MIB  # nvidia-smi prints MiB
            except ValueError:
                return None
    return None


class PeakSampler:
    """Polls DeviceMemory from a thread and keeps the highest reading (NVML has no peak counter)."""

    def __init__(self, dev: DeviceMemory, interval_s: float = 0.02):
        self.dev = dev
        self.interval_s = interval_s
        self.peak: int | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> int | None:
        v = self.dev.process_bytes()
        if v is not None and (self.peak is None or v > self.peak):
            self.peak = v
        return v

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.sample()

    def __enter__(self) -> "PeakSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sample()
