"""Storage-level memory accounting for CPU ground truth under torch 2 (issue 16, item 4).

Two instruments, both counting *storages* (a tensor and all its views are one storage, counted once):

LiveTracker (a TorchDispatchMode)
    Every storage an ATen op returns that is not live yet is added with its nbytes; a weakref finalizer on
    each returned tensor object decrements a per-storage count and frees the storage when the last tracked
    tensor of it dies. Tensors held only by C++ (autograd's saved variables) keep their Python object alive
    (PyObject preservation), so saved tensors stay live until autograd releases them. Parameters and buffers
    are excluded (pass their storages in `excluded`); tensors created outside the mode are never seen, so
    create inputs inside it. What lives only inside one ATen op (oneDNN/im2col scratch, the flash kernel's
    tiles) is not seen: on a GPU that is workspace, which vramfit reports apart.
    Each new storage remembers its producer: the op name, dtype, shape, and whether it is a dtype cast of a
    parameter (autocast's weight copies).

saved(tracker, excluded)
    torch.autograd.graph.saved_tensors_hooks: the distinct storages autograd packs for backward while the
    context is open, parameters/buffers excluded, each with its producer (from the tracker).
"""
import weakref
from contextlib import contextmanager

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten

DTYPE_NAME = {
    torch.float32: "float32",
    torch.bfloat16: "bfloat16",
    torch.float16: "float16",
    torch.int64: "int64",
    torch.int32: "int32",
    torch.bool: "bool",
    torch.uint8: "uint8",
    torch.int8: "int8",
    torch.float64: "float64",
}


def storage_of(t):
    # torch >= 2.0: untyped_storage(); torch 1.13 (used only for the version diff): storage()
    s = t.untyped_storage() if hasattr(t, "untyped_storage") else t.storage()
    return s.data_ptr(), s.nbytes()


def storages(tensors):
    return {storage_of(t)[0] for t in tensors}


def module_storages(*modules):
    out = set()
    for m in modules:
        out |= storages(m.parameters())
        out |= storages(m.buffers())
    return out


class LiveTracker(TorchDispatchMode):
    def __init__(self, excluded=(), params=()):
        super().__init__()
        self.excluded = set(excluded)
        self.param_ptrs = set(storages(params)) if params else set()
        self.refs = {}  # ptr -> [count, nbytes, info]
        self.live = 0
        self.peak = 0
        self.window_peak = 0
        self.producers = {}  # ptr -> info of the most recent storage at that address
        # Bytes to leave out of `adj_window_peak` (parameter gradients once accumulated: see grad_hooks()).
        self.discount = 0
        self.adj_window_peak = 0
        self.snap_at_peak = False
        self.snap = None

    # --- phases -------------------------------------------------------------------------------------
    def start_window(self):
        """Begin a phase: window_peak restarts from the live bytes now."""
        self.window_peak = self.live
        self.adj_window_peak = self.live - self.discount
        self.snap = None

    def grad_hooks(self, params):
        """Count accumulated parameter gradients apart: adj_window_peak is the peak of live - those."""
        hs = []
        for p in params:
            if p.requires_grad:
                def hook(p):
                    self.discount += storage_of(p.grad)[1]
                hs.append(p.register_post_accumulate_grad_hook(hook))
        return hs

    def live_by(self):
        """Live storages grouped by producer, for debugging."""
        out = {}
        for ptr, (c, nb, info) in self.refs.items():
            k = info[0] + ("(param)" if info[3] else "") + ":" + info[1]
            out[k] = out.get(k, 0) + nb
        return out

    # --- bookkeeping --------------------------------------------------------------------------------
    def _track(self, t, info):
        if t.layout != torch.strided or t.device.type == "meta":
            return
        ptr, nbytes = storage_of(t)
        if ptr in self.excluded or nbytes == 0:
            return
        ent = self.refs.get(ptr)
        if ent is None:
            ent = self.refs[ptr] = [0, nbytes, info]
            self.producers[ptr] = info
            self.live += nbytes
            if self.live > self.peak:
                self.peak = self.live
            if self.live > self.window_peak:
                self.window_peak = self.live
                if self.snap_at_peak:
                    self.snap = self.live_by()
            if self.live - self.discount > self.adj_window_peak:
                self.adj_window_peak = self.live - self.discount
        ent[0] += 1
        weakref.finalize(t, self._release, ptr)

    def _release(self, ptr):
        ent = self.refs.get(ptr)
        if ent is None:
            return
        ent[0] -= 1
        if ent[0] == 0:
            self.live -= ent[1]
            del self.refs[ptr]

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        name = func.overloadpacket.__name__
        from_param = False
        if self.param_ptrs and name in ("_to_copy", "to", "clone", "copy_"):
            a0 = args[0] if args else None
            from_param = isinstance(a0, torch.Tensor) and a0.layout == torch.strided and storage_of(a0)[0] in self.param_ptrs
        for t in tree_flatten(out)[0]:
            if isinstance(t, torch.Tensor):
                info = (name, DTYPE_NAME.get(t.dtype, str(t.dtype)), tuple(t.shape), from_param)
                self._track(t, info)
        return out


@contextmanager
def saved(tracker, excluded=()):
    """Collect the distinct storages autograd saves while open. Yields a dict ptr -> (nbytes, info)."""
    excluded = set(excluded)
    seen = {}

    def pack(t):
        if t.layout == torch.strided and t.device.type != "meta":
            ptr, nbytes = storage_of(t)
            if ptr not in excluded and ptr not in seen and nbytes > 0:
                info = tracker.producers.get(ptr) if tracker is not None else None
                if info is None:
                    info = ("untracked", DTYPE_NAME.get(t.dtype, str(t.dtype)), tuple(t.shape), False)
                seen[ptr] = (nbytes, info)
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        yield seen


def by_dtype(seen):
    out = {}
    for nb, info in seen.values():
        out[info[1]] = out.get(info[1], 0) + nb
    return out


def breakdown(seen):
    """Saved storages as 'producer dtype shape' -> bytes (summed when several share a key)."""
    out = {}
    for nb, info in seen.values():
        op, dt, shape, from_param = info
        k = f"{op}{'(param)' if from_param else ''} {dt} {'x'.join(map(str, shape))}"
        out[k] = out.get(k, 0) + nb
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def savers(roots):
    """Walk the autograd graph from `roots` (tensors or grad_fns): storage ptr -> sorted names of the backward
    nodes that saved it (read from each node's `_saved_*` attributes)."""
    out = {}
    seen = set()
    stack = []
    for r in roots:
        g = r.grad_fn if isinstance(r, torch.Tensor) else r
        if g is not None:
            stack.append(g)
    while stack:
        g = stack.pop()
        if g is None or id(g) in seen:
            continue
        seen.add(id(g))
        for attr in dir(g):
            if not attr.startswith("_saved_"):
                continue
            try:
                v = getattr(g, attr)
            except Exception:
                continue
            vals = v if isinstance(v, (tuple, list)) else (v,)
            for t in vals:
                if isinstance(t, torch.Tensor) and t.layout == torch.strided:
                    try:
                        ptr = storage_of(t)[0]
                    except Exception:
                        continue
                    out.setdefault(ptr, set()).add(type(g).__name__)
        for nf, _ in getattr(g, "next_functions", ()):
            if nf is not None:
                stack.append(nf)
    return {p: sorted(v) for p, v in out.items()}


def breakdown_by_saver(seen, saver_map):
    """Saved storages as 'saved by NODE[,NODE] <- producer dtype shape' -> bytes."""
    out = {}
    for ptr, (nb, info) in seen.items():
        op, dt, shape, from_param = info
        by = ",".join(saver_map.get(ptr, ["?"]))
        k = f"{by} <- {op}{'(param)' if from_param else ''} {dt} {'x'.join(map(str, shape))}"
        out[k] = out.get(k, 0) + nb
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def saved_and_infer_peak(model, shape, call=lambda m, x: m(x)):
    """Autograd's saved bytes of one train-mode forward (distinct storages, parameters and buffers excluded)
    and the live peak of an eval forward under no_grad, for an input of `shape`; `call` runs the model
    (transformers models take `pixel_values=`)."""
    import torch

    model.train()
    ex = module_storages(model)
    tr = LiveTracker(ex, model.parameters())
    with tr:
        x = torch.randn(*shape)
        with saved(tr, ex) as seen:
            out = call(model, x)
        del out
    sb = sum(nb for nb, _ in seen.values())
    model.eval()
    with torch.no_grad():
        tr = LiveTracker(ex)
        with tr:
            x = torch.randn(*shape)
            out = call(model, x)
            del x, out
    return sb, tr.peak
