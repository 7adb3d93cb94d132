"""BatchNorm2d: per-channel normalisation with learnable scale and shift and running statistics."""
from .. import functional as F
from ..creation import ones, tensor, zeros
from ..dtypes import int64
from ..ops.checks import positive
from .module import Module
from .parameter import Parameter


class BatchNorm2d(Module):
    """(N, C, H, W) -> (N, C, H, W). Train mode: batch statistics, running ones updated in
    place (momentum=None: cumulative average); eval mode: running statistics."""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True):
        super().__init__()
        positive("BatchNorm2d", "eps", eps)  # refused when made, not at the first forward
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self.weight = Parameter(ones(num_features)) if affine else None
        self.bias = Parameter(zeros(num_features)) if affine else None
        if track_running_stats:
            self.register_buffer("running_mean", zeros(num_features))
            self.register_buffer("running_var", ones(num_features))
            self.register_buffer("num_batches_tracked",
                                 tensor(0, dtype=int64, device=self.running_mean.device))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        # num_batches_tracked's array when last counted, and its value then: the count lives on the
        # host too, so momentum=None needs no device read per batch (see _count_after)
        self._counted = (None if self.num_batches_tracked is None
                         else self.num_batches_tracked.data, 0)

    def forward(self, x):
        return self._normalize(F.batch_norm, x)

    def forward_relu(self, x):
        """relu(self(x)) in one pass over memory (F.batch_norm_relu), without this module's
        hooks: what models/fused.py calls when there are none."""
        return self._normalize(F.batch_norm_relu, x)

    def _normalize(self, batch_norm, x):
        use_batch_stats = self.training or self.running_mean is None
        return batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                          use_batch_stats, self._step_momentum(), self.eps)

    def _step_momentum(self):
        """Count a training batch; the momentum for this batch's running-stats update."""
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            counter = self.num_batches_tracked
            before = counter.data
            counter.set_data_(counter.backend.add(before, 1))
            if self.momentum is None:
                momentum = 1.0 / self._count_after(before, counter.data)
        return momentum

    def _count_after(self, before, after):
        """The batch count now, a Python int: one more than last time, unless the buffer was
        replaced since (load_state_dict, to()); only then is it read from the device."""
        array, count = self._counted
        count = count + 1 if array is before else int(self.num_batches_tracked.item())
        self._counted = (after, count)
        return count

    def extra_repr(self):
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}," \
               f" affine={self.affine}, track_running_stats={self.track_running_stats}"
