"""Starting every rank from the same model: rank 0's parameters and buffers, copied to all."""
from .process_group import require_group


def broadcast_tensors(tensors, group=None, root=0):
    """Overwrite each Tensor's data, in place, with rank root's (same order on every rank)."""
    group = require_group(group)
    for tensor in tensors:
        group.broadcast_(tensor.data, root)


def broadcast_parameters(module, group=None, root=0):
    """Copy rank root's parameters and buffers (running statistics, counters) into every rank's
    module, in place, so optimizers keep their references."""
    broadcast_tensors(list(module.parameters()) + list(module.buffers()), group, root)


def broadcast_buffers(module, group=None, root=0):
    """Copy rank root's buffers only (e.g. plain BatchNorm2d's running statistics)."""
    broadcast_tensors(list(module.buffers()), group, root)
