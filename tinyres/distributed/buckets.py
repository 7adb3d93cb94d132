"""Averaging gradients over ranks with one all-reduce per bucket of parameters, not per parameter.

A ResNet-20 has 65 parameter tensors, most of them small: one collective each would pay the
latency of a collective 65 times. Parameters are laid out once in flat buffers of about
bucket_cap_mb (one per device and dtype, filled in parameter order); each step copies the
gradients into their slots, all-reduces each buffer, and hands every parameter a view of the
averaged buffer as its new .grad.
"""
from ..tensor import Tensor
from .process_group import require_group

MEGABYTE = 1 << 20


class Bucket:
    """Parameters sharing a device and a dtype, and their slots [start, stop) in one flat array."""

    def __init__(self, backend, dtype):
        self.backend, self.dtype = backend, dtype
        self.params, self.slots = [], []
        self.size = 0
        self.flat = None

    def add(self, param):
        n = param.numel()
        self.params.append(param)
        self.slots.append((self.size, self.size + n))
        self.size += n

    def allreduce_(self, group):
        """Average the parameters' gradients over the ranks of group (None counts as zeros)."""
        k = self.backend
        if self.flat is None:
            self.flat = k.zeros((self.size,), self.dtype)
        flat = self.flat
        for p, (start, stop) in zip(self.params, self.slots):
            # slice assignment writes into the flat buffer in place, identically on numpy and
            # cupy arrays: the one array operation here that is not a kernel call
            flat[start:stop] = 0 if p.grad is None else k.reshape(p.grad.data, (-1,))
        group.all_reduce_(flat)
        averaged = k.mul(flat, k.asarray(1.0 / group.world_size, self.dtype))  # a fresh array
        for p, (start, stop) in zip(self.params, self.slots):
            view = k.reshape(k.getitem(averaged, slice(start, stop)), p.shape)
            p.grad = Tensor.from_array(view, k)


class GradientBuckets:
    """The parameters that require grad, in buckets of about bucket_cap_mb megabytes."""

    def __init__(self, params, bucket_cap_mb=25.0):
        if isinstance(bucket_cap_mb, bool) or not isinstance(bucket_cap_mb, (int, float)) \
                or bucket_cap_mb <= 0:
            raise ValueError(f"bucket_cap_mb must be a number > 0, got {bucket_cap_mb!r}")
        self.cap_bytes = bucket_cap_mb * MEGABYTE
        unique = {id(p): p for p in params if p.requires_grad}  # shared weights once
        self.params = list(unique.values())
        self.buckets = self._plan()

    def _signature(self):
        return [(p.device, p.dtype) for p in self.params]

    def _plan(self):
        """Fill buckets in parameter order; a new one when the cap is reached or the device or
        dtype changes (a parameter larger than the cap gets a bucket of its own)."""
        self.planned_for = self._signature()
        buckets, open_buckets = [], {}
        for p in self.params:
            key = (p.device, p.dtype)
            bucket = open_buckets.get(key)
            if bucket is None or (bucket.size and
                                  (bucket.size + p.numel()) * p.dtype.itemsize > self.cap_bytes):
                bucket = open_buckets[key] = Bucket(p.backend, p.dtype)
                buckets.append(bucket)
            bucket.add(p)
        return buckets

    def allreduce_(self, group):
        """Every parameter's .grad <- its mean over the ranks of group."""
        if group.world_size == 1:
            return
        if self._signature() != self.planned_for:  # the model moved (.to()) since the plan
            self.buckets = self._plan()
        for bucket in self.buckets:
            bucket.allreduce_(group)


def allreduce_gradients(params, group=None, bucket_cap_mb=25.0):
    """Average the .grad of params (an iterable of Tensors) over the ranks of group, one
    all-reduce per bucket; call between loss.backward() and optimizer.step(). Plans buckets on
    every call: a DistributedDataParallel plans them once."""
    GradientBuckets(params, bucket_cap_mb).allreduce_(require_group(group))
