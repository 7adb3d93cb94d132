"""DistributedDataParallel: one model replica per rank, each on its own shard of the data.

    model = convert_sync_batchnorm(model)          # optional: batch statistics over all ranks
    model = DistributedDataParallel(model)         # rank 0's weights copied to every rank
    for x, y in loader:                            # DataLoader(..., num_replicas=W, rank=r)
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        model.allreduce_gradients()                # every .grad <- its mean over the ranks
        optimizer.step()                           # the same step on every rank

Unlike PyTorch's, which all-reduces during backward through autograd hooks, the all-reduce is
called explicitly after backward: tinyres's autograd has no end-of-backward callback, and CPU
MPI collectives would not overlap with the computation anyway. Also unlike PyTorch's,
state_dict() has no 'module.' prefix: checkpoints load into the bare model, and back.
"""
from ..nn.module import Module
from .broadcast import broadcast_buffers, broadcast_parameters
from .buckets import GradientBuckets
from .process_group import require_group


class DistributedDataParallel(Module):
    """Wraps module: forward is module's; allreduce_gradients() averages the gradients over the
    ranks in buckets of about bucket_cap_mb. broadcast_buffers=True copies rank 0's buffers before
    each training forward (PyTorch's default; not needed after convert_sync_batchnorm)."""

    def __init__(self, module, group=None, bucket_cap_mb=25.0, broadcast_buffers=False):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel: module must be a tinyres Module, got"
                            f" {type(module).__name__}")
        self.module = module
        self.group = require_group(group)
        self.broadcast_buffers = bool(broadcast_buffers)
        broadcast_parameters(module, self.group)
        self.buckets = GradientBuckets(module.parameters(), bucket_cap_mb)

    def forward(self, *args, **kwargs):
        if self.broadcast_buffers and self.training:
            broadcast_buffers(self.module, self.group)
        return self.module(*args, **kwargs)

    def allreduce_gradients(self):
        """Every parameter's .grad <- its mean over the ranks (None counts as zeros)."""
        self.buckets.allreduce_(self.group)

    def state_dict(self):
        """The wrapped module's state_dict (no 'module.' prefix)."""
        return self.module.state_dict()

    def load_state_dict(self, state_dict, strict=True):
        return self.module.load_state_dict(state_dict, strict)

    def extra_repr(self):
        return f"world_size={self.group.world_size}, buckets={len(self.buckets.buckets)}"
