"""SyncBatchNorm2d: BatchNorm2d whose training statistics cover the batches of every rank.

With data parallelism each rank sees B samples; plain BatchNorm2d would normalise with statistics
of those B only, and keep different running statistics on each rank. SyncBatchNorm2d all-reduces
the per-channel sums (forward and backward), so W ranks of B samples compute exactly what one
process would with the W * B samples, and the running statistics stay identical on every rank.
Eval mode uses the running statistics and needs no communication; so does a job of one process.
"""
from ..nn.batchnorm import BatchNorm2d
from ..ops.sync_batchnorm import sync_batch_norm
from .process_group import get_group


class SyncBatchNorm2d(BatchNorm2d):
    """(N, C, H, W) -> (N, C, H, W); group: a ProcessGroup (default: the one made by
    init_process_group(); without any, it behaves as BatchNorm2d)."""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, group=None):
        super().__init__(num_features, eps, momentum, affine, track_running_stats)
        self.group = group

    def forward(self, x):
        group = self.group if self.group is not None else get_group()
        if not self.training or group is None or group.world_size == 1:
            return super().forward(x)
        return sync_batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                               self._step_momentum(), self.eps, group)


def convert_sync_batchnorm(module, group=None):
    """Replace every BatchNorm2d in module (module itself included) by a SyncBatchNorm2d holding
    the same Parameter and buffer objects, so an optimizer built before still updates them.
    Returns the converted module (a new object only when module itself is a BatchNorm2d)."""
    return _convert(module, group, {})


def _convert(module, group, done):
    if id(module) in done:  # a module used twice stays one module
        return done[id(module)]
    if isinstance(module, BatchNorm2d) and not isinstance(module, SyncBatchNorm2d):
        converted = _sync_twin(module, group)
    else:
        converted = module
        for name, child in list(module._modules.items()):
            if child is not None:
                module._modules[name] = _convert(child, group, done)
    done[id(module)] = converted
    return converted


def _sync_twin(bn, group):
    """A SyncBatchNorm2d sharing bn's settings, parameters, buffers and mode."""
    sync = SyncBatchNorm2d(bn.num_features, bn.eps, bn.momentum, bn.affine,
                           bn.track_running_stats, group)
    for name, param in bn._parameters.items():
        sync.register_parameter(name, param)
    for name, buffer in bn._buffers.items():
        sync.register_buffer(name, buffer)
    return sync.train(bn.training)
