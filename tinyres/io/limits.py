"""The limits the loaders hold every file to: numbers a crafted file may not exceed.

Each is far above what a real file needs (named beside it) and far below what would hurt the
process. A file past a limit is refused with a BadFileError naming the limit, before anything
is allocated; a larger real file needs a larger limit here, on purpose.
"""

# pickles (torch.save's data.pkl; CIFAR-10 batches)
MAX_PICKLE_BYTES = 64 << 20    # resnet152's data.pkl: 60 kB
MAX_PICKLE_OPS = 1_000_000     # a CIFAR-10 batch: about 30,000 opcodes; resnet152: 25,000
MAX_NESTING = 32               # containers inside containers (a state_dict: 2-3)
MAX_NDIM = 16                  # tensor dimensions (a conv weight: 4)

# zip archives (.pth, .npz)
MAX_ARCHIVE_BYTES = 4 << 30    # all storages of one file together (resnet152: 240 MB)
MAX_INFLATE_RATIO = 100        # a deflated member may grow 100-fold (weights: about 1.1-fold)
INFLATE_SLACK = 1 << 20        # ... plus 1 MiB (small members of zeros compress very well)
REPEAT_SLACK_BYTES = 64 << 20  # views may repeat storage elements (zero strides) up to this
MAX_META_BYTES = 16 << 20      # a tinyres checkpoint's JSON description (resnet20's: 20 kB)
MAX_NPY_HEADER = 10_000        # an .npy header (numpy's own default limit)

# CIFAR-10 python batches
MAX_BATCH_FILE_BYTES = 256 << 20  # a real batch: 31 MB
