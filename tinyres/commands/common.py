"""What several commands share: building a model for a dataset, and loaders for a split."""
from .. import data, models
from .usage import UsageError


def build_model(name, info):
    """The model called `name`, sized for the dataset described by `info` (DatasetInfo)."""
    if name not in models.list_models():
        raise UsageError(f"unknown model {name!r}; see `tinyres models`")
    if models.info(name).takes("in_channels"):  # the CIFAR families
        return models.get(name, num_classes=info.num_classes, in_channels=info.channels)
    if info.channels != 3:
        raise UsageError(f"{name} takes 3-channel images but {info.name} has {info.channels}"
                         f" channel(s); use a CIFAR-style model such as cifar_resnet20")
    return models.get(name, num_classes=info.num_classes)


def make_loader(name, split, root, batch_size, device, seed=0, train=False, num_replicas=1,
                rank=0):
    """A DataLoader over a dataset split with the dataset's standard transform (rank's shard of
    it when num_replicas > 1)."""
    info = data.dataset_info(name)
    if info.needs_root and root is None:
        raise UsageError(f"{name} needs --data-root: a folder holding the CIFAR-10 python"
                         " batches (data_batch_1..5, test_batch)")
    dataset = data.get_dataset(name, split, root)
    return data.DataLoader(dataset, batch_size, shuffle=train, drop_last=False, seed=seed,
                           transform=data.standard_transform(name, train), device=device,
                           num_replicas=num_replicas, rank=rank)
